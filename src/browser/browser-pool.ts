import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { playwright } from './playwright.ts';
import { countLaunch } from './launch-count.ts';
import type { BrowserName } from '../domain/run-options.ts';
import { findInstalled } from './browser-install.ts';
import { chromiumArgs, findChromium } from './find-chromium.ts';

export interface BrowserPoolOptions {
  /** Chromium binary (config.chromiumPath); resolved with findChromium when the browser is first needed. */
  chromiumPath: string | null;
  /** Remote browser endpoint (Playwright run-server protocol); when set nothing is launched. */
  browserWs: string | null;
  /**
   * A browser with no open context for this long is closed (default 60 s; 0 keeps them), so
   * an idle server holds no browser and a lane a run no longer uses gives its memory back.
   */
  idleCloseMs?: number;
}

interface Slot {
  name: BrowserName;
  browser: Browser | null;
  starting: Promise<Browser> | null;
  /** Contexts open on this slot's browser now. */
  open: number;
  idleTimer: NodeJS.Timeout | null;
}

/**
 * Browsers for the whole process, one per browser type and lane, launched (or connected) on
 * first use and again after it disconnects or crashes, and closed after idleCloseMs without a
 * context. The engine gives each test running at once its own lane (the lowest free one, so a
 * run of k parallel tests uses k browsers), so a browser process serves one test at a time: a
 * crash (or a kill) fails only the test running in it. Tests each get their own context, so per-test overhead stays a context
 * creation; the launch is paid once per lane.
 */
export class BrowserPool {
  readonly #options: BrowserPoolOptions;
  readonly #slots = new Map<string, Slot>();
  #closed = false;

  constructor(options: BrowserPoolOptions) {
    this.#options = options;
  }

  /** The connected Chromium of lane 0, if one is up (tests use it to simulate a crash). */
  get current(): Browser | null {
    return this.connected('chromium', 0);
  }

  /** Browser types that are up now, in any lane. */
  get running(): BrowserName[] {
    const up = [...this.#slots.values()].filter((s) => s.browser?.isConnected());
    return [...new Set(up.map((s) => s.name))];
  }

  /** The connected browser of a type and lane, if one is up. */
  connected(name: BrowserName, lane = 0): Browser | null {
    const b = this.#slots.get(slotKey(name, lane))?.browser;
    return b?.isConnected() ? b : null;
  }

  /** The connected browser, launching or reconnecting one when needed (one start in flight). */
  async browser(name: BrowserName = 'chromium', lane = 0): Promise<Browser> {
    if (this.#closed) throw new Error('browser pool is closed');
    const slot = this.#slot(name, lane);
    const b = slot.browser;
    if (b?.isConnected()) return b;
    slot.browser = null;
    slot.starting ??= this.#start(slot).finally(() => {
      slot.starting = null;
    });
    return slot.starting;
  }

  /** A fresh context; retries once on a new browser when the current one died under us. */
  async newContext(
    options: BrowserContextOptions = {},
    name: BrowserName = 'chromium',
    lane = 0,
  ): Promise<BrowserContext> {
    const slot = this.#slot(name, lane);
    // Counted from before the launch, so an idle close never takes the browser being handed out.
    this.#use(slot);
    try {
      const browser = await this.browser(name, lane);
      let context: BrowserContext;
      try {
        context = await browser.newContext(options);
      } catch (e) {
        // A SIGKILLed browser can look connected until its pipe closes; start over once.
        if (browser.isConnected() && !isClosedError(e)) throw e;
        this.#forget(slot, browser);
        void browser.close().catch(() => undefined);
        context = await (await this.browser(name, lane)).newContext(options);
      }
      context.once('close', () => this.#unuse(slot));
      return context;
    } catch (e) {
      this.#unuse(slot);
      throw e;
    }
  }

  #use(slot: Slot): void {
    slot.open++;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
  }

  #unuse(slot: Slot): void {
    slot.open = Math.max(0, slot.open - 1);
    const idleMs = this.#options.idleCloseMs ?? 60_000;
    if (slot.open > 0 || idleMs <= 0 || this.#closed) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = null;
      void this.#closeIfIdle(slot);
    }, idleMs);
    // An idle timer alone must not keep the process alive.
    slot.idleTimer.unref();
  }

  async #closeIfIdle(slot: Slot): Promise<void> {
    const b = slot.browser;
    if (slot.open > 0 || slot.starting || !b) return;
    slot.browser = null;
    await b.close().catch(() => undefined);
  }

  /**
   * Close now every browser no test is using (each is launched again on its next use), so that
   * what a measurement sees is the work being measured, not lanes an earlier run left warm.
   */
  async closeIdle(): Promise<void> {
    const slots = [...this.#slots.values()];
    for (const slot of slots) if (slot.idleTimer && slot.open === 0) clearTimeout(slot.idleTimer);
    await Promise.all(slots.map((slot) => this.#closeIfIdle(slot)));
  }

  /** Close every browser (or disconnect from a remote one); later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    for (const slot of slots) if (slot.idleTimer) clearTimeout(slot.idleTimer);
    await Promise.all(
      slots.map(async (slot) => {
        const pending = slot.starting;
        const b = slot.browser ?? (pending ? await pending.catch(() => null) : null);
        slot.browser = null;
        if (b) await b.close().catch(() => undefined);
      }),
    );
  }

  #slot(name: BrowserName, lane: number): Slot {
    const key = slotKey(name, lane);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { name, browser: null, starting: null, open: 0, idleTimer: null };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  async #start(slot: Slot): Promise<Browser> {
    const browser = await this.#launch(slot.name);
    countLaunch(
      slot.name,
      slot.name === 'chromium' && this.#options.browserWs ? 'remote' : 'local',
    );
    if (this.#closed) {
      await browser.close().catch(() => undefined);
      throw new Error('browser pool is closed');
    }
    browser.on('disconnected', () => this.#forget(slot, browser));
    slot.browser = browser;
    return browser;
  }

  #launch(name: BrowserName): Promise<Browser> {
    if (name !== 'chromium') {
      // Firefox and WebKit only from Playwright's own install (checked when the run is created).
      return playwright()[name].launch({
        executablePath: findInstalled(name),
        timeout: 30_000,
        ...OWN_SIGNALS,
      });
    }
    return this.#options.browserWs
      ? playwright().chromium.connect(this.#options.browserWs, { timeout: 30_000 })
      : playwright().chromium.launch({
          executablePath: findChromium(this.#options),
          args: [...chromiumArgs],
          timeout: 30_000,
          ...OWN_SIGNALS,
        });
  }

  #forget(slot: Slot, browser: Browser): void {
    if (slot.browser === browser) slot.browser = null;
  }
}

/**
 * Playwright closes every browser it launched on SIGINT, SIGTERM and SIGHUP (and exits on
 * SIGINT) unless told not to: that would kill the running tests a SIGTERM drain lets finish
 * (cli/shutdown.ts). The process's own shutdown closes the browsers, after the drain.
 */
const OWN_SIGNALS = { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false } as const;

const slotKey = (name: BrowserName, lane: number): string => `${name}#${Math.max(0, lane)}`;

function isClosedError(e: unknown): boolean {
  return e instanceof Error && /closed|disconnected|crashed|Target/i.test(e.message);
}
