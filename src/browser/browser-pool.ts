import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
} from 'playwright-core';
import { chromiumArgs, findChromium } from './find-chromium.ts';

export interface BrowserPoolOptions {
  /** Chromium binary (config.chromiumPath); resolved with findChromium when the browser is first needed. */
  chromiumPath: string | null;
  /** Remote browser endpoint (Playwright run-server protocol); when set nothing is launched. */
  browserWs: string | null;
}

/**
 * One shared browser for the whole process, launched (or connected) on first use and again
 * after it disconnects or crashes. Tests each get their own context, so one shared browser
 * isolates them while keeping per-test overhead to a context creation.
 */
export class BrowserPool {
  readonly #options: BrowserPoolOptions;
  #browser: Browser | null = null;
  #starting: Promise<Browser> | null = null;
  #closed = false;

  constructor(options: BrowserPoolOptions) {
    this.#options = options;
  }

  /** The connected browser, if one is up (tests use it to simulate a crash). */
  get current(): Browser | null {
    return this.#browser?.isConnected() ? this.#browser : null;
  }

  /** The connected browser, launching or reconnecting one when needed (one start in flight). */
  async browser(): Promise<Browser> {
    if (this.#closed) throw new Error('browser pool is closed');
    const b = this.#browser;
    if (b?.isConnected()) return b;
    this.#browser = null;
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  /** A fresh context; retries once on a new browser when the current one died under us. */
  async newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const browser = await this.browser();
    try {
      return await browser.newContext(options);
    } catch (e) {
      // A SIGKILLed browser can look connected until its pipe closes; start over once.
      if (browser.isConnected() && !isClosedError(e)) throw e;
      this.#forget(browser);
      void browser.close().catch(() => undefined);
      return (await this.browser()).newContext(options);
    }
  }

  /** Close the browser (or disconnect from a remote one); later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#starting;
    const b = this.#browser ?? (pending ? await pending.catch(() => null) : null);
    this.#browser = null;
    if (b) await b.close().catch(() => undefined);
  }

  async #start(): Promise<Browser> {
    const browser = this.#options.browserWs
      ? await chromium.connect(this.#options.browserWs, { timeout: 30_000 })
      : await chromium.launch({
          executablePath: findChromium(this.#options),
          args: [...chromiumArgs],
          timeout: 30_000,
        });
    if (this.#closed) {
      await browser.close().catch(() => undefined);
      throw new Error('browser pool is closed');
    }
    browser.on('disconnected', () => this.#forget(browser));
    this.#browser = browser;
    return browser;
  }

  #forget(browser: Browser): void {
    if (this.#browser === browser) this.#browser = null;
  }
}

function isClosedError(e: unknown): boolean {
  return e instanceof Error && /closed|disconnected|crashed|Target/i.test(e.message);
}
