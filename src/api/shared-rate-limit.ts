import type { FastifyBaseLogger } from 'fastify';
import type { RateLimitSpec } from '../config.ts';
import type { Store } from '../store/connect.ts';
import { RateLimiter, type HitResult, type RateCounter } from './memory-rate-limit.ts';

/** How often a process deletes the windows that are over. */
const PURGE_EVERY_MS = 60_000;

/**
 * Fixed-window counters in the database, so every API process on one PostgreSQL spends the same
 * budget. Windows are aligned to multiples of their length from the epoch, so all processes
 * agree on which window a request falls in without asking each other.
 *
 * Each counted request is one upsert. Two things stay in process and cost no round trip:
 * - a key this process saw at or over its limit in the current window is refused at once (a
 *   count within a window only grows), so a flood past the limit does no database work;
 * - `exhausted`, the bad-credential pre-check before any credential lookup, reads only what
 *   this process learnt from its own upserts: another process's flood costs this one at most
 *   one lookup per window before it answers 429 too.
 * When the database cannot be reached the process falls back to its own in-memory counts.
 */
export class SharedRateLimiter implements RateCounter {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #logger: FastifyBaseLogger | undefined;
  readonly #maxKeys: number;
  readonly #known = new Map<string, { windowStart: number; count: number }>();
  readonly #fallback: RateLimiter;
  /** Requests waiting for their key's next upsert, by window and key. */
  readonly #gathering = new Map<string, Batch>();
  /** The last upsert sent for a window and key, until it answers. */
  readonly #sending = new Map<string, Promise<number>>();
  #nextPurge: number;
  #lastFailureLog = 0;

  constructor(opts: {
    store: Store;
    maxKeys?: number;
    now?: () => number;
    logger?: FastifyBaseLogger;
  }) {
    this.#store = opts.store;
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger;
    this.#maxKeys = Math.max(1, opts.maxKeys ?? 10_000);
    this.#fallback = new RateLimiter({ maxKeys: this.#maxKeys, now: this.#now });
    this.#nextPurge = this.#now() + PURGE_EVERY_MS;
  }

  async hit(key: string, spec: RateLimitSpec): Promise<HitResult> {
    const now = this.#now();
    const windowStart = Math.floor(now / spec.windowMs) * spec.windowMs;
    const retryAfterSeconds = retryAfter(windowStart + spec.windowMs, now);
    const known = this.#known.get(key);
    if (known && known.windowStart === windowStart && known.count >= spec.max) {
      this.#remember(key, known);
      return { allowed: false, retryAfterSeconds };
    }
    let count: number;
    try {
      count = await this.#count(key, windowStart, windowStart + spec.windowMs);
    } catch (err) {
      this.#logFailure(err, now);
      return this.#fallback.hit(key, spec);
    }
    this.#remember(key, { windowStart, count });
    if (now >= this.#nextPurge) this.#purge(now);
    return { allowed: count <= spec.max, retryAfterSeconds };
  }

  exhausted(key: string, spec: RateLimitSpec): HitResult | null {
    const now = this.#now();
    const windowStart = Math.floor(now / spec.windowMs) * spec.windowMs;
    const known = this.#known.get(key);
    if (known && known.windowStart === windowStart && known.count >= spec.max) {
      return { allowed: false, retryAfterSeconds: retryAfter(windowStart + spec.windowMs, now) };
    }
    return this.#fallback.exhausted(key, spec);
  }

  /** Keys this process remembers counts of (bounded like the in-memory limiter). */
  get size(): number {
    return this.#known.size;
  }

  /**
   * This request's place in its window's count. Requests of one key that arrive while its
   * upsert is out join the next one (`count + n`), each taking its own place in the total, so a
   * burst from one client costs a couple of round trips instead of one per request queued on
   * the row's lock, and the counts stay exact.
   */
  #count(key: string, windowStart: number, expiresAt: number): Promise<number> {
    const id = `${windowStart}|${key}`;
    let batch = this.#gathering.get(id);
    if (!batch) {
      const b: Batch = { n: 0, total: Promise.resolve(0) };
      const before = this.#sending.get(id) ?? Promise.resolve();
      const sent = before
        .catch(() => {})
        .then(() => {
          // From here on, arrivals gather into a new batch; this one's size is final.
          if (this.#gathering.get(id) === b) this.#gathering.delete(id);
          return this.#store.rateLimitCounters.hit(key, windowStart, expiresAt, b.n);
        });
      b.total = sent;
      this.#sending.set(id, sent);
      sent
        .finally(() => {
          if (this.#sending.get(id) === sent) this.#sending.delete(id);
        })
        .catch(() => {});
      this.#gathering.set(id, b);
      batch = b;
    }
    const b = batch;
    const place = ++b.n;
    return b.total.then((total) => total - b.n + place);
  }

  #remember(key: string, w: { windowStart: number; count: number }): void {
    this.#known.delete(key); // re-inserted: Map order is the LRU order
    this.#known.set(key, w);
    while (this.#known.size > this.#maxKeys) {
      const oldest = this.#known.keys().next().value;
      if (oldest === undefined) break;
      this.#known.delete(oldest);
    }
  }

  #purge(now: number): void {
    this.#nextPurge = now + PURGE_EVERY_MS;
    this.#store.rateLimitCounters.purge(now).catch((err: unknown) => this.#logFailure(err, now));
  }

  #logFailure(err: unknown, now: number): void {
    // One line a minute at most: a database outage must not flood the log from every request.
    if (now - this.#lastFailureLog < 60_000) return;
    this.#lastFailureLog = now;
    this.#logger?.warn({ err }, 'shared rate-limit counters unavailable; counting in memory');
  }
}

/** Requests of one key counted by one upsert. */
interface Batch {
  n: number;
  /** The window's count once the upsert has answered. */
  total: Promise<number>;
}

const retryAfter = (resetAt: number, now: number): number =>
  Math.max(1, Math.ceil((resetAt - now) / 1000));
