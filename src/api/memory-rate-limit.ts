import type { RateLimitSpec } from '../config.ts';

export interface HitResult {
  allowed: boolean;
  /** Seconds until the window of this key resets. */
  retryAfterSeconds: number;
}

/** Where the counts live: this process's memory, or the database every process shares. */
export interface RateCounter {
  /** Count one request of `key` against `spec`. */
  hit(key: string, spec: RateLimitSpec): HitResult | Promise<HitResult>;
  /** Whether `key` has used up its window already, without counting a request (no I/O). */
  exhausted(key: string, spec: RateLimitSpec): HitResult | null;
  /** Keys held in memory. */
  readonly size: number;
}

/**
 * Fixed-window counters in memory, at most `maxKeys` of them: the least recently used key is
 * dropped first, so a flood of distinct clients costs bounded memory (an evicted client starts
 * a fresh window, which only ever favours the flood's own keys).
 */
export class RateLimiter implements RateCounter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(opts: { maxKeys?: number; now?: () => number } = {}) {
    this.#maxKeys = Math.max(1, opts.maxKeys ?? 10_000);
    this.#now = opts.now ?? Date.now;
  }

  /** Count one request of `key` against `spec`. */
  hit(key: string, spec: RateLimitSpec): HitResult {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (w) this.#windows.delete(key); // re-inserted below: Map order is the LRU order
    if (!w || w.resetAt <= now) w = { count: 0, resetAt: now + spec.windowMs };
    w.count++;
    this.#windows.set(key, w);
    while (this.#windows.size > this.#maxKeys) {
      const oldest = this.#windows.keys().next().value;
      if (oldest === undefined) break;
      this.#windows.delete(oldest);
    }
    return {
      allowed: w.count <= spec.max,
      retryAfterSeconds: Math.max(1, Math.ceil((w.resetAt - now) / 1000)),
    };
  }

  /** Whether `key` has used up its window already, without counting a request. */
  exhausted(key: string, spec: RateLimitSpec): HitResult | null {
    const now = this.#now();
    const w = this.#windows.get(key);
    if (!w || w.resetAt <= now || w.count < spec.max) return null;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((w.resetAt - now) / 1000)) };
  }

  get size(): number {
    return this.#windows.size;
  }
}
