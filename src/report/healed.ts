import { describeHealed } from '../domain/locator-memory.ts';
import type { TestResult } from '../domain/run.ts';
import type { HealedTest } from './report-model.ts';

/**
 * The tests whose last attempt passed with healed locators, one line each, so every report says
 * what was healed (a healed pass is never a silent one).
 */
export function healedTests(results: readonly TestResult[]): HealedTest[] {
  const last = new Map<string, TestResult>();
  for (const r of results) {
    const key = `${r.testId}\u0000${r.variant ?? ''}`;
    const seen = last.get(key);
    if (!seen || r.attempt >= seen.attempt) last.set(key, r);
  }
  const out: HealedTest[] = [];
  for (const r of last.values()) {
    if (!r.healed?.length || (r.status !== 'passed' && r.status !== 'flaky')) continue;
    out.push({
      testId: r.testId,
      testName: r.testName,
      detail: r.healed.map(describeHealed).join('; '),
    });
  }
  return out;
}
