import { isTerminal } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import { FLAKY_WINDOW, flakyScore } from './flaky-score.ts';

/** One finished run as a point of the trend charts. */
export interface TrendPoint {
  runId: string;
  status: string;
  at: string;
  durationMs: number | null;
  total: number;
  passed: number;
  failed: number;
  flaky: number;
  /** Share of gating results that passed (flaky counts as passed), 0–1; null when none gated. */
  passRate: number | null;
}

export interface TestTrend {
  testId: string;
  name: string;
  /** Flaky score 0–100 over the last results (see flaky-score.ts). */
  flakyScore: number;
  /** Median duration of the last passed/failed results, ms. */
  medianMs: number | null;
  maxMs: number | null;
  results: number;
}

export interface ProjectTrends {
  /** Finished runs, oldest first. */
  runs: TrendPoint[];
  flakiest: TestTrend[];
  slowest: TestTrend[];
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
};

/** Pass rate of a finished run: passed (and flaky) over the results that gate. */
function passRateOf(r: { passed: number; failed: number; errored: number }): number | null {
  const gating = r.passed + r.failed + r.errored;
  return gating === 0 ? null : r.passed / gating;
}

/**
 * Pass rate and duration of the project's last `runs` finished runs, and its flakiest and
 * slowest tests (top `top`) from each test's last results. Cancelled runs are not verdicts and
 * are left out of the points.
 */
export async function projectTrends(
  store: Store,
  projectId: string,
  opts: { runs: number; top: number },
): Promise<ProjectTrends> {
  const page = await store.runs.list(projectId, { limit: Math.min(opts.runs * 2, 200), offset: 0 });
  const points = page.items
    .filter((r) => isTerminal(r.status) && r.status !== 'cancelled')
    .slice(0, opts.runs)
    .reverse()
    .map((r): TrendPoint => ({
      runId: r.id,
      status: r.status,
      at: r.finishedAt ?? r.createdAt,
      durationMs:
        r.startedAt && r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : null,
      total: r.total,
      passed: r.passed,
      failed: r.failed + r.errored,
      flaky: r.flaky,
      passRate: passRateOf(r),
    }));
  const tests = await store.tests.list(projectId, { limit: 5000, offset: 0 });
  const ids = tests.items.map((t) => t.id);
  const history = await store.resultHistory.latest(projectId, ids, { limit: FLAKY_WINDOW });
  const perTest: TestTrend[] = tests.items.map((t) => {
    const results = history.get(t.id) ?? [];
    const durations = results
      .filter((r) => r.status === 'passed' || r.status === 'failed' || r.status === 'flaky')
      .map((r) => r.durationMs);
    return {
      testId: t.id,
      name: t.name,
      flakyScore: flakyScore(results.map((r) => r.status)).score,
      medianMs: median(durations),
      maxMs: durations.length ? Math.max(...durations) : null,
      results: results.length,
    };
  });
  const flakiest = perTest
    .filter((t) => t.flakyScore > 0)
    .sort((a, b) => b.flakyScore - a.flakyScore || a.name.localeCompare(b.name))
    .slice(0, opts.top);
  const slowest = perTest
    .filter((t) => t.medianMs !== null)
    .sort((a, b) => b.medianMs! - a.medianMs! || a.name.localeCompare(b.name))
    .slice(0, opts.top);
  return { runs: points, flakiest, slowest };
}
