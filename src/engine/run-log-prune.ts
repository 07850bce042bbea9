import type { Logger } from 'pino';
import type { Store } from '../store/connect.ts';

/** A finished run's stream log is kept this long for clients that reconnect late. */
export const RUN_LOG_RETENTION_MS = 60 * 60_000;
/** An unfinished run's log not written for this long is dropped (its ids keep rising). */
export const RUN_LOG_IDLE_MS = 24 * 60 * 60_000;

/**
 * Deletes the stream logs of runs that ended over an hour ago (and of runs idle for a day), now
 * and every ten minutes. A client resuming one of those gets a snapshot, as it did when the log
 * was held in memory for an hour. Any number of processes may prune: the deletes are idempotent.
 */
export class RunLogPrune {
  readonly #store: Store;
  readonly #logger: Logger | undefined;
  readonly #clock: () => Date;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: { store: Store; logger?: Logger | undefined; clock?: () => Date }) {
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#clock = deps.clock ?? (() => new Date());
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.prune(), 10 * 60_000);
    this.#timer.unref();
    void this.prune();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Prune once; resolves with how many events went (0 when the database refused). */
  async prune(): Promise<number> {
    const now = this.#clock().getTime();
    try {
      return await this.#store.runStreamEvents.prune(
        new Date(now - RUN_LOG_RETENTION_MS).toISOString(),
        new Date(now - RUN_LOG_IDLE_MS).toISOString(),
      );
    } catch (err) {
      this.#logger?.warn({ err }, 'pruning run stream logs failed');
      return 0;
    }
  }
}
