import picomatch from 'picomatch';
import { AppError } from '../domain/errors.ts';
import type { Selection } from '../domain/run.ts';
import {
  DEFAULT_MIN_FLAKY_SCORE,
  DEFAULT_RECENT_DAYS,
  urlPathOf,
  type SelectionDetail,
  type StrategyRequest,
} from '../domain/selection.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';
import { flakyScore, FLAKY_WINDOW } from './flaky-score.ts';
import { describeSelection, noTestsError } from './plan.ts';
import { defined } from '../domain/defined.ts';

/** Results per test whose visited pages count for `changed`. */
const VISITED_WINDOW = 5;
/** Reasons kept per test; more matches only make the run record longer. */
const MAX_REASONS = 3;

export interface SelectedTests {
  tests: Test[];
  /** null: no strategy, every test of the selection runs. */
  detail: SelectionDetail | null;
}

type Reasons = Map<string, string[]>;

/**
 * The approved tests of a selection, narrowed by a strategy. Every way of starting a run (API,
 * CI triggers, schedules, the CLI) goes through here, so a strategy means the same everywhere
 * and the run records why each test was chosen.
 */
export async function selectTests(
  store: Store,
  projectId: string,
  selection: Selection,
  strategy: StrategyRequest | undefined,
  now: Date,
): Promise<SelectedTests> {
  if (strategy) checkStrategyInputs(strategy);
  const tests = await store.tests.forSelection(projectId, selection);
  if (tests.length === 0) throw noTestsError(selection);
  if (!strategy) return { tests, detail: null };
  const { inputs, reasons } = await strategyReasons(store, projectId, tests, strategy, now);
  const chosen = tests.filter((t) => reasons.has(t.id));
  if (chosen.length === 0) throw noMatchError(strategy.strategy, inputs, selection);
  const detail: SelectionDetail = {
    strategy: strategy.strategy,
    inputs,
    reasons: Object.fromEntries(
      chosen.map((t) => [t.id, (reasons.get(t.id) ?? []).slice(0, MAX_REASONS).join('; ')]),
    ),
  };
  return { tests: chosen, detail };
}

/** Refuse a strategy that lacks what it needs, naming the missing field. */
export function checkStrategyInputs(s: StrategyRequest): void {
  if (s.strategy === 'changed' && !s.changedFiles?.length && !s.changedUrls?.length) {
    throw new AppError(
      'validation_failed',
      'strategy "changed" needs changedFiles (repository paths) or changedUrls (URL paths)',
      { field: 'changedFiles', strategy: 'changed' },
    );
  }
}

async function strategyReasons(
  store: Store,
  projectId: string,
  tests: Test[],
  s: StrategyRequest,
  now: Date,
): Promise<{ inputs: Record<string, unknown>; reasons: Reasons }> {
  const reasons: Reasons = new Map();
  const add = (id: string, why: string): void => {
    const list = reasons.get(id) ?? [];
    if (!list.includes(why)) list.push(why);
    reasons.set(id, list);
  };
  const ids = tests.map((t) => t.id);
  switch (s.strategy) {
    case 'failed': {
      const branch = s.branch;
      const runId = await store.resultHistory.lastFinishedRunId(projectId, { branch });
      if (runId) {
        const where = branch !== undefined ? ` on ${branch}` : '';
        for (const r of await store.results.listByRun(runId, projectId)) {
          if (r.status === 'failed' || r.status === 'error') {
            add(r.testId, `${r.status} in run ${runId}${where}`);
          }
        }
      }
      return { inputs: { ...defined({ branch }), runId }, reasons };
    }
    case 'flaky': {
      const min = s.minFlakyScore ?? DEFAULT_MIN_FLAKY_SCORE;
      const scores = await flakyScores(store, projectId, ids);
      for (const [id, f] of scores) {
        if (f.counted > 0 && f.score >= min) {
          add(
            id,
            `flaky score ${f.score} ≥ ${min} (${f.unstable} of ${f.counted} results unstable)`,
          );
        }
      }
      return { inputs: { minFlakyScore: min }, reasons };
    }
    case 'recent': {
      const days = s.recentDays ?? DEFAULT_RECENT_DAYS;
      const since = new Date(now.getTime() - days * 86_400_000).toISOString();
      for (const t of tests) {
        if (t.createdAt >= since) add(t.id, `created ${t.createdAt}`);
        else if (t.updatedAt >= since) add(t.id, `changed ${t.updatedAt}`);
      }
      return { inputs: { recentDays: days, since }, reasons };
    }
    case 'changed':
      return { inputs: await matchChanged(store, projectId, tests, s, add), reasons };
  }
}

/** Flaky score of each test from its latest results (tests without results score 0). */
export async function flakyScores(
  store: Store,
  projectId: string,
  testIds: string[],
): Promise<Map<string, ReturnType<typeof flakyScore>>> {
  const history = await store.resultHistory.latest(projectId, testIds, { limit: FLAKY_WINDOW });
  const out = new Map<string, ReturnType<typeof flakyScore>>();
  for (const id of testIds) out.set(id, flakyScore((history.get(id) ?? []).map((r) => r.status)));
  return out;
}

/** `changed`: match covers globs (test and suite), visited pages and goto paths; the inputs. */
async function matchChanged(
  store: Store,
  projectId: string,
  tests: Test[],
  s: StrategyRequest,
  add: (id: string, why: string) => void,
): Promise<Record<string, unknown>> {
  const files = [...new Set(s.changedFiles ?? [])].map((f) => f.replace(/^\.?\//, ''));
  const urls = [
    ...new Set((s.changedUrls ?? []).map((u) => urlPathOf(u)).filter((u) => u !== null)),
  ];
  const suiteCovers = new Map(
    (await store.suiteSettings.list(projectId)).map((x) => [x.suite, x.covers]),
  );
  const history = await store.resultHistory.latest(
    projectId,
    tests.map((t) => t.id),
    { limit: VISITED_WINDOW },
  );
  const paths = [...files, ...urls];
  for (const t of tests) {
    const globs: [string, string][] = [
      ...(t.covers ?? []).map((g): [string, string] => [g, 'covers']),
      ...(t.suite ? (suiteCovers.get(t.suite) ?? []) : []).map((g): [string, string] => [
        g,
        `suite ${t.suite} covers`,
      ]),
    ];
    for (const [glob, label] of globs) {
      const match = picomatch(glob, { dot: true });
      for (const p of paths) if (match(p)) add(t.id, `${label} ${glob} ← ${p}`);
    }
    if (urls.length === 0) continue;
    const visited = new Set((history.get(t.id) ?? []).flatMap((r) => r.visitedUrls));
    const gotos = new Set(gotoPaths(t));
    for (const u of urls) {
      if (visited.has(u)) add(t.id, `visited ${u}`);
      if (gotos.has(u)) add(t.id, `goes to ${u}`);
    }
  }
  return {
    ...(files.length > 0 ? { changedFiles: files } : {}),
    ...(urls.length > 0 ? { changedUrls: urls } : {}),
  };
}

/** URL paths of a test's literal `goto` steps (a templated URL cannot be known beforehand). */
function gotoPaths(t: Test): string[] {
  const out: string[] = [];
  for (const step of t.steps) {
    if (!('goto' in step) || typeof step.goto !== 'string') continue;
    if (step.goto.includes('{{')) continue;
    const path = urlPathOf(step.goto);
    if (path !== null) out.push(path);
  }
  return out;
}

function noMatchError(
  strategy: string,
  inputs: Record<string, unknown>,
  selection: Selection,
): AppError {
  const why: Record<string, string> = {
    failed: 'no test failed or errored in the last finished run',
    flaky: `no test has a flaky score of at least ${String(inputs.minFlakyScore)}`,
    recent: `no test was created or changed in the last ${String(inputs.recentDays)} days`,
    changed: 'no test covers, visited or goes to the changed files or pages',
  };
  return new AppError(
    'no_tests',
    `strategy "${strategy}": ${why[strategy] ?? 'no test matched'} among ${describeSelection(selection)}`,
    { strategy, inputs, selection },
  );
}
