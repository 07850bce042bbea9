import { createHash } from 'node:crypto';
import type { Locator as PwLocator, Page } from 'playwright-core';
import { describeLocator, type Locator } from '../domain/locator.ts';
import {
  healingOrder,
  type HealedLocator,
  type LocatorAlternative,
  type LocatorMemory,
} from '../domain/locator-memory.ts';
import { isTimeoutError, StepFailure } from './errors.ts';
import { captureAlternatives } from './locator-capture.ts';
import { toPlaywright } from './locators.ts';

/** Stable hash of a locator as written: key order does not matter. */
export function locatorHash(loc: Locator): string {
  const sorted = Object.fromEntries(
    Object.entries(loc)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

export interface HealerOptions {
  /** Memory from earlier runs of this test. */
  memory: readonly LocatorMemory[];
  /** False: never use an alternative (a missing element fails the step); memory is still recorded. */
  enabled: boolean;
  /** Values never to store: an alternative that contains one is dropped. */
  secrets: readonly string[];
}

interface Pending {
  memory: LocatorMemory;
  healed: HealedLocator | null;
}

/**
 * Resolves the locators of one test's steps, heals those that find nothing from what earlier
 * runs recorded, and records alternatives of every element a passing step used. Holds no
 * database: memory comes in with the test and goes out with its outcome.
 */
export class LocatorHealer {
  readonly #page: Page;
  readonly #o: HealerOptions;
  readonly #memory = new Map<string, LocatorMemory>();
  /** What the running step found, kept only if the step passes. */
  #pending = new Map<string, Pending>();
  /** Locators of the running step whose element was not there to record before the action. */
  #later: { step: number; loc: Locator; pw: PwLocator }[] = [];
  readonly #recorded = new Map<string, LocatorMemory>();
  readonly #healed: HealedLocator[] = [];

  constructor(page: Page, options: HealerOptions) {
    this.#page = page;
    this.#o = options;
    for (const m of options.memory) this.#memory.set(key(m.step, m.locatorHash), m);
  }

  /** Locators healed in the steps that passed, in step order. */
  get healed(): HealedLocator[] {
    return [...this.#healed];
  }

  /** Memory recorded in this test (steps that passed), to be stored for the next run. */
  get recorded(): LocatorMemory[] {
    return [...this.#recorded.values()];
  }

  /**
   * The Playwright locator for a step's locator. When it finds nothing and memory has
   * alternatives, wait for the locator or any alternative, then take the locator if it matches,
   * else the one element the alternatives agree on. `mayHeal` false: as written, only recorded.
   */
  async resolve(step: number, loc: Locator, timeout: number, mayHeal = true): Promise<PwLocator> {
    const primary = toPlaywright(this.#page, loc);
    const hash = locatorHash(loc);
    const memory = this.#memory.get(key(step, hash));
    // A page in the middle of navigating may refuse the count: then the action waits as usual.
    const n = await primary.count().catch(() => -1);
    if (n === 1) {
      await this.#record(step, loc, hash, primary, null);
      return primary;
    }
    const alternatives = memory ? healingOrder(memory) : [];
    if (n !== 0 || !this.#o.enabled || !mayHeal || alternatives.length === 0) {
      this.#later.push({ step, loc, pw: primary });
      return primary;
    }
    const found = await this.#heal(loc, primary, alternatives, timeout);
    if (!found) {
      // The original showed up after all.
      if ((await primary.count()) === 1) await this.#record(step, loc, hash, primary, null);
      else this.#later.push({ step, loc, pw: primary });
      return primary;
    }
    const healed: HealedLocator = {
      step,
      from: describeLocator(loc),
      to: describeLocator(found.alt.locator),
      strategy: found.alt.strategy,
    };
    await this.#record(step, loc, hash, found.pw, healed);
    return found.pw;
  }

  /** The step passed: keep what it recorded, and record elements it found by waiting. */
  async commit(): Promise<void> {
    for (const l of this.#later) {
      // A click that navigated away leaves nothing to record; the next run may.
      if ((await l.pw.count().catch(() => 0)) !== 1) continue;
      await this.#record(l.step, l.loc, locatorHash(l.loc), l.pw, null);
    }
    for (const [k, p] of this.#pending) {
      this.#recorded.set(k, p.memory);
      if (p.healed) this.#healed.push(p.healed);
    }
    this.discard();
  }

  /** The step failed: forget what it found. */
  discard(): void {
    this.#pending = new Map();
    this.#later = [];
  }

  async #heal(
    loc: Locator,
    primary: PwLocator,
    alternatives: LocatorAlternative[],
    timeout: number,
  ): Promise<{ alt: LocatorAlternative; pw: PwLocator } | null> {
    const alts = alternatives.map((alt) => ({ alt, pw: toPlaywright(this.#page, alt.locator) }));
    const any = alts.reduce((acc, a) => acc.or(a.pw), primary);
    try {
      await any.first().waitFor({ state: 'attached', timeout });
    } catch (e) {
      if (!isTimeoutError(e)) throw e;
      throw new StepFailure(
        `no element matched ${describeLocator(loc)} within ${timeout} ms, nor any of its ${alts.length} recorded alternatives`,
      );
    }
    // An alternative may show up before the page is done; let a late original win.
    await this.#page.waitForLoadState('load', { timeout }).catch(() => undefined);
    if ((await primary.count()) > 0) return null;
    // The structural CSS path is a last resort: it counts only when nothing else matches.
    const semantic = alts.filter((a) => a.alt.strategy !== 'css');
    const pool = (await countUnion(semantic)) > 0 ? semantic : alts;
    const candidates = await countUnion(pool);
    if (candidates > 1) {
      throw new StepFailure(
        `no element matched ${describeLocator(loc)}; healing found ${candidates} candidates (${pool
          .map((a) => describeLocator(a.alt.locator))
          .join(', ')}) and did not guess`,
      );
    }
    for (const a of pool) if ((await a.pw.count()) === 1) return a;
    return null;
  }

  async #record(
    step: number,
    loc: Locator,
    hash: string,
    pw: PwLocator,
    healed: HealedLocator | null,
  ): Promise<void> {
    const k = key(step, hash);
    // Recording is a courtesy to the next run: it must never fail or hold up this step.
    const captured = await captureAlternatives(this.#page, pw, loc, CAPTURE_TIMEOUT_MS).catch(
      () => null,
    );
    const before = this.#memory.get(k);
    if (!captured && !healed) return;
    const alternatives = captured
      ? captured.filter((a) => !this.#containsSecret(a))
      : (before?.alternatives ?? []);
    this.#pending.set(k, {
      memory: {
        step,
        locatorHash: hash,
        alternatives,
        winningStrategy: healed?.strategy ?? before?.winningStrategy ?? null,
      },
      healed,
    });
  }

  #containsSecret(a: LocatorAlternative): boolean {
    return Object.values(a.locator).some(
      (v) => typeof v === 'string' && this.#o.secrets.some((s) => s.length > 0 && v.includes(s)),
    );
  }
}

// The element was just counted; reading it is quick unless the page is busy navigating away.
const CAPTURE_TIMEOUT_MS = 2_000;

const key = (step: number, hash: string): string => `${step}:${hash}`;

async function countUnion(alts: { pw: PwLocator }[]): Promise<number> {
  const [first, ...rest] = alts;
  if (!first) return 0;
  return rest.reduce((acc, a) => acc.or(a.pw), first.pw).count();
}
