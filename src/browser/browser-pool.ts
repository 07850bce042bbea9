import {
  chromium,
  firefox,
  webkit,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
} from 'playwright-core';
import type { BrowserName } from '../domain/run-options.ts';
import { findInstalled } from './browser-install.ts';
import { chromiumArgs, findChromium } from './find-chromium.ts';

const browserTypes = { firefox, webkit } as const;

export interface BrowserPoolOptions {
  /** Chromium binary (config.chromiumPath); resolved with findChromium when the browser is first needed. */
  chromiumPath: string | null;
  /** Remote browser endpoint (Playwright run-server protocol); when set nothing is launched. */
  browserWs: string | null;
}

interface Slot {
  browser: Browser | null;
  starting: Promise<Browser> | null;
}

/**
 * One shared browser per browser type for the whole process, launched (or connected) on first
 * use and again after it disconnects or crashes. Tests each get their own context, so one shared
 * browser isolates them while keeping per-test overhead to a context creation.
 */
export class BrowserPool {
  readonly #options: BrowserPoolOptions;
  readonly #slots = new Map<BrowserName, Slot>();
  #closed = false;

  constructor(options: BrowserPoolOptions) {
    this.#options = options;
  }

  /** The connected Chromium, if one is up (tests use it to simulate a crash). */
  get current(): Browser | null {
    return this.#connected('chromium');
  }

  /** Browser types that are up now. */
  get running(): BrowserName[] {
    return [...this.#slots.keys()].filter((name) => this.#connected(name) !== null);
  }

  /** The connected browser, launching or reconnecting one when needed (one start in flight). */
  async browser(name: BrowserName = 'chromium'): Promise<Browser> {
    if (this.#closed) throw new Error('browser pool is closed');
    const slot = this.#slot(name);
    const b = slot.browser;
    if (b?.isConnected()) return b;
    slot.browser = null;
    slot.starting ??= this.#start(name, slot).finally(() => {
      slot.starting = null;
    });
    return slot.starting;
  }

  /** A fresh context; retries once on a new browser when the current one died under us. */
  async newContext(
    options: BrowserContextOptions = {},
    name: BrowserName = 'chromium',
  ): Promise<BrowserContext> {
    const browser = await this.browser(name);
    try {
      return await browser.newContext(options);
    } catch (e) {
      // A SIGKILLed browser can look connected until its pipe closes; start over once.
      if (browser.isConnected() && !isClosedError(e)) throw e;
      this.#forget(name, browser);
      void browser.close().catch(() => undefined);
      return (await this.browser(name)).newContext(options);
    }
  }

  /** Close every browser (or disconnect from a remote one); later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        const pending = slot.starting;
        const b = slot.browser ?? (pending ? await pending.catch(() => null) : null);
        slot.browser = null;
        if (b) await b.close().catch(() => undefined);
      }),
    );
  }

  #slot(name: BrowserName): Slot {
    let slot = this.#slots.get(name);
    if (!slot) {
      slot = { browser: null, starting: null };
      this.#slots.set(name, slot);
    }
    return slot;
  }

  #connected(name: BrowserName): Browser | null {
    const b = this.#slots.get(name)?.browser;
    return b?.isConnected() ? b : null;
  }

  async #start(name: BrowserName, slot: Slot): Promise<Browser> {
    const browser = await this.#launch(name);
    if (this.#closed) {
      await browser.close().catch(() => undefined);
      throw new Error('browser pool is closed');
    }
    browser.on('disconnected', () => this.#forget(name, browser));
    slot.browser = browser;
    return browser;
  }

  #launch(name: BrowserName): Promise<Browser> {
    if (name !== 'chromium') {
      // Firefox and WebKit only from Playwright's own install (checked when the run is created).
      return browserTypes[name].launch({ executablePath: findInstalled(name), timeout: 30_000 });
    }
    return this.#options.browserWs
      ? chromium.connect(this.#options.browserWs, { timeout: 30_000 })
      : chromium.launch({
          executablePath: findChromium(this.#options),
          args: [...chromiumArgs],
          timeout: 30_000,
        });
  }

  #forget(name: BrowserName, browser: Browser): void {
    const slot = this.#slots.get(name);
    if (slot?.browser === browser) slot.browser = null;
  }
}

function isClosedError(e: unknown): boolean {
  return e instanceof Error && /closed|disconnected|crashed|Target/i.test(e.message);
}
