/**
 * Flaky score of a test, 0–100, from its latest results (at most `FLAKY_WINDOW`).
 *
 * Only results with a pass/fail outcome count: `passed` and `flaky` (passed on a retry) are a
 * pass, `failed` and `error` a fail; `skipped` is ignored. Walking from oldest to newest, a
 * result is *unstable* when its status is `flaky` or its outcome differs from the previous
 * counted result's. The score is `round(100 × unstable / counted)`: a test that always passes
 * (or always fails) scores 0, one that alternates every run scores close to 100, one that needed
 * a retry in 2 of its last 20 runs scores 10. No counted result: 0.
 */
export const FLAKY_WINDOW = 20;

export interface FlakyScore {
  score: number;
  /** Results that counted (had a pass/fail outcome). */
  counted: number;
  unstable: number;
}

const outcomeOf = (status: string): 'pass' | 'fail' | null =>
  status === 'passed' || status === 'flaky'
    ? 'pass'
    : status === 'failed' || status === 'error'
      ? 'fail'
      : null;

/** The score of one test from its result statuses, NEWEST FIRST (as the store returns them). */
export function flakyScore(newestFirst: readonly string[]): FlakyScore {
  const window = newestFirst.slice(0, FLAKY_WINDOW).reverse();
  let counted = 0;
  let unstable = 0;
  let previous: 'pass' | 'fail' | null = null;
  for (const status of window) {
    const outcome = outcomeOf(status);
    if (outcome === null) continue;
    counted++;
    if (status === 'flaky' || (previous !== null && outcome !== previous)) unstable++;
    previous = outcome;
  }
  return { score: counted === 0 ? 0 : Math.round((100 * unstable) / counted), counted, unstable };
}
