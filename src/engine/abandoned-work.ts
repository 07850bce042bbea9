import type { Logger } from 'pino';
import type { Store } from '../store/connect.ts';
import type { ScanService } from './scan-service.ts';

/** How often a server looks for crawls and scans whose process went away. */
export const ABANDONED_SWEEP_MS = 60_000;

/**
 * Fails the crawls and scans whose owning process is gone (its lease ran out), at start and then
 * every minute: with several servers on one database, one that dies mid-crawl is noticed by the
 * others without waiting for a restart, and a server that starts leaves the others' work alone.
 */
export class AbandonedWorkSweeper {
  readonly #store: Store;
  readonly #scans: ScanService;
  readonly #logger: Logger | undefined;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;

  constructor(deps: { store: Store; scans: ScanService; logger?: Logger; everyMs?: number }) {
    this.#store = deps.store;
    this.#scans = deps.scans;
    this.#logger = deps.logger;
    this.#everyMs = deps.everyMs ?? ABANDONED_SWEEP_MS;
  }

  /** Sweep once (errors propagate: a server that cannot read its database should not start). */
  async start(): Promise<void> {
    await this.#sweep();
    this.#timer = setInterval(() => {
      this.sweep().catch((err: unknown) =>
        this.#logger?.warn({ err }, 'sweep of abandoned crawls and scans failed'),
      );
    }, this.#everyMs);
    this.#timer.unref();
  }

  /** One sweep (joins one in progress). */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = null));
    return this.#sweeping;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sweeping?.catch(() => {});
  }

  async #sweep(): Promise<void> {
    const crawls = await this.#store.crawls.failAbandoned('the server stopped during the crawl');
    const scans = await this.#scans.recover();
    if (crawls + scans > 0) {
      this.#logger?.warn({ crawls, scans }, 'failed crawls and scans whose process is gone');
    }
  }
}
