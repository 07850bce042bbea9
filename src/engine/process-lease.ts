import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Store } from '../store/connect.ts';

/** How long a process counts as alive after its last renewal. */
export const PROCESS_LEASE_MS = 30_000;

/**
 * A name for this process that is unique among the processes on one database: host and pid say
 * where to look, the random tail tells apart containers that all run as pid 1.
 */
export function newProcessId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Keeps this process's row in `process_leases` alive: registered at start, renewed every third
 * of the lease, removed on a clean stop. Crawls and scans name the process as their owner, so
 * another process can tell work whose owner died from work that is still going.
 */
export class ProcessLeaseKeeper {
  readonly id: string;
  readonly #store: Store;
  readonly #kind: string;
  readonly #leaseMs: number;
  readonly #logger: Logger | undefined;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | null = null;
  #renewing: Promise<void> | null = null;

  constructor(deps: {
    store: Store;
    kind: string;
    id?: string;
    leaseMs?: number;
    logger?: Logger;
    clock?: () => Date;
  }) {
    this.id = deps.id ?? newProcessId();
    this.#store = deps.store;
    this.#kind = deps.kind;
    this.#leaseMs = deps.leaseMs ?? PROCESS_LEASE_MS;
    this.#logger = deps.logger;
    this.#now = deps.clock ?? (() => new Date());
  }

  async start(): Promise<void> {
    if (this.#timer) return;
    await this.#register();
    this.#timer = setInterval(() => void this.renew(), Math.max(10, this.#leaseMs / 3));
    this.#timer.unref();
  }

  /** Push the lease on now (the timer does this on its own). */
  async renew(): Promise<void> {
    this.#renewing ??= this.#renew().finally(() => (this.#renewing = null));
    return this.#renewing;
  }

  /** Stop renewing and remove the row: whatever this process still owned counts as abandoned. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#renewing;
    await this.#store.processLeases
      .remove(this.id)
      .catch((err: unknown) => this.#logger?.warn({ err }, 'process lease not removed'));
  }

  #leaseUntil(): string {
    return new Date(this.#now().getTime() + this.#leaseMs).toISOString();
  }

  async #register(): Promise<void> {
    const now = this.#now();
    await this.#store.processLeases.register({
      id: this.id,
      kind: this.#kind,
      host: hostname(),
      pid: process.pid,
      startedAt: now.toISOString(),
      leaseUntil: this.#leaseUntil(),
    });
  }

  async #renew(): Promise<void> {
    try {
      if (!(await this.#store.processLeases.renew(this.id, this.#leaseUntil()))) {
        await this.#register();
      }
      // Rows of processes gone for a day are of no use to anyone.
      const dayAgo = new Date(this.#now().getTime() - 86_400_000).toISOString();
      await this.#store.processLeases.purge(dayAgo);
    } catch (err) {
      this.#logger?.warn({ err }, 'process lease not renewed; will retry');
    }
  }
}
