import { createHash } from 'node:crypto';
import type { Locator as PwLocator, Page } from 'playwright-core';
import { describeLocator, type Locator } from '../domain/locator.ts';
import {
  healingOrder,
  isFreshMemory,
  type HealedLocator,
  type LocatorAlternative,
  type LocatorMemory,
} from '../domain/locator-memory.ts';
import { isTimeoutError, StepFailure } from './errors.ts';
import { captureAlternatives } from './locator-capture.ts';
import { toPlaywright } from './locators.ts';

/** Stable hash of a locator as written: key order does not matter, in nested locators either. */
export function locatorHash(loc: Locator): string {
  return createHash('sha256')
    .update(JSON.stringify(sortedKeys(loc)))
    .digest('hex')
    .slice(0, 32);
}

function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sortedKeys(v)]),
  );
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
  /**
   * Recordings of elements that were not there yet when the step began: each starts once its
   * element attaches, alongside the action that waits for the same element (before a click can
   * navigate it away), and commit waits for them.
   */
  #background: Promise<void>[] = [];
  /** Bumped when a step ends, so a late recording never lands in the next step. */
  #generation = 0;
  readonly #recorded = new Map<string, LocatorMemory>();
  /** Locators of the running step taken as written because their memory was fresh. */
  #optimistic: { step: number; pw: PwLocator }[] = [];
  /** Steps running again after such a locator found nothing: these heal the usual way. */
  readonly #forced = new Set<number>();
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
    const alternatives = memory ? healingOrder(memory) : [];
    if (isFreshMemory(memory, Date.now()) && !this.#forced.has(step)) {
      // Nothing to record, and counting first would resolve every locator twice (~10% of the
      // demo suite's test time, bench/healing.ts). Take it as written; should the step fail
      // because it finds nothing, retryHealing runs the step again through the path below.
      if (this.#o.enabled && mayHeal && alternatives.length > 0) {
        this.#optimistic.push({ step, pw: primary });
      }
      return primary;
    }
    const n = await primary.count().catch(() => -1);
    if (n === 1) {
      await this.#record(step, loc, hash, primary, null);
      return primary;
    }
    if (n !== 0 || !this.#o.enabled || !mayHeal || alternatives.length === 0) {
      this.#recordWhenAttached(step, loc, hash, primary, timeout);
      return primary;
    }
    const found = await this.#heal(loc, primary, alternatives, timeout);
    if (!found) {
      // The original showed up after all.
      if ((await primary.count()) === 1) await this.#record(step, loc, hash, primary, null);
      else this.#recordWhenAttached(step, loc, hash, primary, timeout);
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

  /**
   * The step failed. True when a locator it took as written now finds nothing and has
   * alternatives: the caller runs the step once more, and this time the locator heals.
   */
  async retryHealing(step: number): Promise<boolean> {
    const taken = this.#optimistic.filter((o) => o.step === step);
    this.#optimistic = [];
    for (const o of taken) {
      if ((await o.pw.count().catch(() => -1)) === 0) {
        this.#forced.add(step);
        this.discard();
        return true;
      }
    }
    return false;
  }

  /** The step passed: keep what it recorded, including recordings still finishing. */
  async commit(): Promise<void> {
    // A click that navigated away may leave a recording unfinished: the next run records then.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#background),
      new Promise((r) => (timer = setTimeout(r, CAPTURE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    for (const [k, p] of this.#pending) {
      this.#recorded.set(k, p.memory);
      if (p.healed) this.#healed.push(p.healed);
    }
    this.discard();
  }

  /** The step failed: forget what it found. */
  discard(): void {
    this.#generation++;
    this.#pending = new Map();
    this.#background = [];
    this.#optimistic = [];
  }

  #recordWhenAttached(
    step: number,
    loc: Locator,
    hash: string,
    pw: PwLocator,
    timeout: number,
  ): void {
    const generation = this.#generation;
    const recording = pw
      .waitFor({ state: 'attached', timeout })
      .then(async () => {
        if (generation !== this.#generation || (await pw.count()) !== 1) return;
        await this.#record(step, loc, hash, pw, null, generation);
      })
      .catch(() => undefined);
    this.#background.push(recording);
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
    generation = this.#generation,
  ): Promise<void> {
    const k = key(step, hash);
    // Recording is a courtesy to the next run: it must never fail or hold up this step.
    const captured = await captureAlternatives(this.#page, pw, loc, CAPTURE_TIMEOUT_MS).catch(
      () => null,
    );
    if (generation !== this.#generation) return;
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
