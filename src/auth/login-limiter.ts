/**
 * Failed sign-ins per key (IP + e-mail, and IP alone) in a fixed window. In memory and bounded:
 * when full, the oldest windows are dropped first, so a flood of distinct keys cannot grow it.
 * Only failures count, so a user who signs in often is never locked out by their own successes.
 */
export class LoginLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(o: { max?: number; windowMs?: number; capacity?: number; now?: () => number } = {}) {
    this.max = o.max ?? 10;
    this.windowMs = o.windowMs ?? 15 * 60_000;
    this.capacity = o.capacity ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const w = this.windows.get(key);
    const t = this.now();
    if (!w || w.resetAt <= t) return 0;
    return w.count >= this.max ? Math.max(1, Math.ceil((w.resetAt - t) / 1000)) : 0;
  }

  fail(key: string): void {
    const t = this.now();
    const w = this.windows.get(key);
    if (w && w.resetAt > t) {
      w.count++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= this.capacity) {
      // Map iteration order is insertion order: the first key is the oldest window.
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, { count: 1, resetAt: t + this.windowMs });
  }

  reset(key: string): void {
    this.windows.delete(key);
  }
}
