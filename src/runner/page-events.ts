import type { BrowserContext } from 'playwright-core';
import type { ConsoleEntry, FailedRequest } from '../domain/run.ts';
import { MAX_VISITED_URLS, urlPathOf } from '../domain/selection.ts';

// A page stuck in an error loop must not grow a result without bound.
const maxEntries = 200;

/** Console errors, uncaught page errors, failed requests and crashes of every page in a context. */
export class PageEvents {
  readonly consoleErrors: ConsoleEntry[] = [];
  readonly failedRequests: FailedRequest[] = [];
  /** URL paths the main frame of each page navigated to, deduplicated (selection `changed`). */
  readonly visitedUrls: string[] = [];
  crashed = false;
  #listening = true;

  constructor(context: BrowserContext) {
    context.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const url = msg.location().url;
      this.#push(this.consoleErrors, { type: 'error', text: msg.text(), ...(url ? { url } : {}) });
    });
    context.on('weberror', (err) => {
      const e = err.error();
      const url = err.page()?.url();
      this.#push(this.consoleErrors, {
        type: 'pageerror',
        text: e.message || String(e),
        ...(url ? { url } : {}),
      });
    });
    context.on('requestfailed', (req) => {
      this.#push(this.failedRequests, {
        url: req.url(),
        method: req.method(),
        failure: req.failure()?.errorText ?? 'failed',
      });
    });
    context.on('response', (res) => {
      if (res.status() < 400) return;
      this.#push(this.failedRequests, {
        url: res.url(),
        method: res.request().method(),
        status: res.status(),
      });
    });
    context.on('page', (page) => {
      page.on('crash', () => (this.crashed = true));
      page.on('framenavigated', (frame) => {
        if (frame !== page.mainFrame()) return;
        const path = urlPathOf(frame.url());
        if (path !== null && !this.visitedUrls.includes(path) && this.#listening) {
          if (this.visitedUrls.length < MAX_VISITED_URLS) this.visitedUrls.push(path);
        }
      });
    });
  }

  /** Ignore what happens from now on (closing the context aborts requests; that is not the test's fault). */
  stop(): void {
    this.#listening = false;
  }

  #push<T>(list: T[], entry: T): void {
    if (this.#listening && list.length < maxEntries) list.push(entry);
  }
}
