/**
 * The page's own count of its unfinished fetch and XHR calls. Playwright reports a request only
 * once the browser process has seen it, which can be after `load` is reported even when the
 * page's script called `fetch` before `load`: counting in the page closes that gap, so a page's
 * first data call is never mistaken for a quiet network.
 *
 * `countPendingCalls` runs INSIDE the browser as an init script (Playwright serialises its
 * source), so it must stay self-contained: no imports, no outer variables.
 */
import type { Page } from 'playwright-core';

/** The page global that holds the count (a getter the page cannot assign to by accident). */
export const PENDING_CALLS_KEY = '__greenlightPendingCalls';

/** Init script: wraps `fetch` and `XMLHttpRequest#send` to count the calls still running. */
export function countPendingCalls(key: string): void {
  let pending = 0;
  const done = (): void => {
    pending = Math.max(0, pending - 1);
  };
  Object.defineProperty(globalThis, key, { get: () => pending, configurable: true });
  const originalFetch = globalThis.fetch;
  if (typeof originalFetch === 'function') {
    globalThis.fetch = function fetch(this: unknown, ...args: Parameters<typeof originalFetch>) {
      pending++;
      const call = originalFetch.apply(this, args);
      call.then(done, done);
      return call;
    };
  }
  const xhr = globalThis.XMLHttpRequest?.prototype;
  if (xhr) {
    const send = xhr.send;
    xhr.send = function (this: XMLHttpRequest, ...args: Parameters<typeof send>) {
      pending++;
      this.addEventListener('loadend', done, { once: true });
      return send.apply(this, args);
    };
  }
}

/** How many calls the page has started and not finished; 0 when it cannot tell (closed, crashed). */
export async function pendingCalls(page: Page): Promise<number> {
  const n = await page
    .evaluate((key) => (globalThis as Record<string, unknown>)[key], PENDING_CALLS_KEY)
    .catch(() => 0);
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}
