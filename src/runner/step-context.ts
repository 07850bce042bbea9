import type { BrowserContext, Locator as PwLocator, Page } from 'playwright-core';
import type { Locator } from '../domain/locator.ts';
import type { ConsoleEntry } from '../domain/run.ts';
import type { BaselineSource, VisualCheck } from '../domain/visual.ts';
import type { AttemptFiles } from './artifacts.ts';
import { isTimeoutError } from './errors.ts';

/** What a step needs to run; one per step, built by runTest. */
export interface StepContext {
  page: Page;
  context: BrowserContext;
  baseUrl: string;
  /** This step's timeout in ms, already clamped to what is left of the test's budget. */
  timeout: number;
  /**
   * The step's own timeout when `timeout` is only what is left of it (an expect step's
   * assertions share one timeout): failure messages state this one, not the remainder.
   */
  stepTimeout?: number;
  /** What is left of the whole test's budget in ms (an explicit `wait: ms` may use more than `timeout`). */
  budget: number;
  /** Variables in scope; `set` and request captures write into it. */
  vars: Record<string, string>;
  testDataDir: string | undefined;
  artifacts: AttemptFiles;
  /** Aborted when the test is cancelled or over its budget. */
  signal: AbortSignal;
  /** Console errors and uncaught page errors recorded in this test so far (live, not a copy). */
  consoleErrors: readonly ConsoleEntry[];
  /** The test's visual baselines (screenshot steps with `compare`); none: every image is new. */
  baselines?: BaselineSource;
  /** Compared screenshots of this test so far; compare steps append to it. */
  visual?: VisualCheck[];
  /** Resolves an action's or expectation's locator, healing it from memory; absent: as written. */
  locate?: (loc: Locator, timeout: number, opts?: LocateOptions) => Promise<PwLocator>;
}

/** The timeout a failure message states: the step's, however much of it an assertion had left. */
export function statedTimeout(ctx: Pick<StepContext, 'timeout' | 'stepTimeout'>): number {
  return ctx.stepTimeout ?? ctx.timeout;
}

/** Sleep that ends early (resolving) when the signal aborts; the caller checks the signal. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// Playwright's own expect polls at these intervals; the first probe runs at once.
const pollIntervals = [100, 250, 500, 1000];

/**
 * Probe until `done` holds or the step timeout passes; returns the last probe's value either
 * way so the caller can say what it found. Probes that wait for an element are given the time
 * left, so an element that appears late is picked up by Playwright's own waiting, not a sleep.
 */
export async function poll<T>(
  ctx: Pick<StepContext, 'timeout' | 'signal'>,
  probe: (remainingMs: number) => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = performance.now() + ctx.timeout;
  for (let i = 0; ; i++) {
    const value = await probe(Math.max(1, Math.round(deadline - performance.now())));
    if (done(value)) return value;
    const left = deadline - performance.now();
    if (left <= 0 || ctx.signal.aborted) return value;
    await sleep(
      Math.min(pollIntervals[Math.min(i, pollIntervals.length - 1)] ?? 1000, left),
      ctx.signal,
    );
  }
}

/** The result of reading an element that may not be there (yet). */
export type Found<T> = { found: true; value: T } | { found: false };

/** Run a Playwright read that waits for its element; a timeout means "not found", anything else throws. */
async function whenFound<T>(read: () => Promise<T>): Promise<Found<T>> {
  try {
    return { found: true, value: await read() };
  } catch (e) {
    if (isTimeoutError(e)) return { found: false };
    throw e;
  }
}

/**
 * Poll an element read until `ok` holds; returns the last value actually read (a final probe that
 * ran out of time while waiting for the element must not hide what was seen before).
 */
export async function pollElement<T>(
  ctx: Pick<StepContext, 'timeout' | 'signal'>,
  read: (timeoutMs: number) => Promise<T>,
  ok: (value: T) => boolean,
): Promise<Found<T>> {
  let seen: Found<T> = { found: false };
  await poll(
    ctx,
    async (remaining) => {
      const r = await whenFound(() => read(remaining));
      if (r.found) seen = r;
      return r;
    },
    (r) => r.found && ok(r.value),
  );
  return seen;
}

export interface LocateOptions {
  /** False: resolve as written (still recorded for later heals) but never use an alternative. */
  mayHeal?: boolean;
}
