import { z } from 'zod';
import type { Selection } from '../domain/run.ts';
import type { SelectionDetail, StrategyRequest } from '../domain/selection.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';
import { normalizeSelection } from './plan.ts';
import { selectTests } from './selection.ts';

/** How many shards a plan may have: the API's `shards` and the CLI's `--shards` check this. */
export const shardCountSchema = z.number().int().min(1).max(256);

/** Passed/failed results per test the estimate is the median of. */
const ESTIMATE_WINDOW = 10;
/** Stand-in for a test with no history when no test of the plan has any either. */
export const DEFAULT_ESTIMATE_MS = 30_000;

export interface Shard {
  index: number;
  testIds: string[];
  estimatedMs: number;
}

export interface ShardPlan {
  shards: Shard[];
  totalMs: number;
  /** Tests without history; planned with the median of the known estimates. */
  unknown: string[];
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return 0;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Each test's expected duration: the median of its last passed/failed durations. A median, not
 * a mean, so one run that hung until its timeout does not make a test look slow for weeks.
 */
export async function estimateDurations(
  store: Store,
  projectId: string,
  testIds: string[],
): Promise<Map<string, number>> {
  const history = await store.resultHistory.latest(projectId, testIds, {
    limit: ESTIMATE_WINDOW,
    statuses: ['passed', 'failed'],
  });
  const out = new Map<string, number>();
  for (const [id, results] of history) out.set(id, median(results.map((r) => r.durationMs)));
  return out;
}

/**
 * Split tests into `n` shards of about equal expected time: longest first, each onto the shard
 * with the least work so far (ties: the lower index). Tests without an estimate count as the
 * median of the known ones. Shards keep the order tests were placed in, longest first.
 */
export function planShards(
  tests: readonly Pick<Test, 'id'>[],
  estimates: ReadonlyMap<string, number>,
  n: number,
): ShardPlan {
  const count = Math.max(1, Math.floor(n));
  const known = tests.map((t) => estimates.get(t.id)).filter((x) => x !== undefined);
  const fallback = known.length > 0 ? median(known) : DEFAULT_ESTIMATE_MS;
  const unknown = tests.filter((t) => !estimates.has(t.id)).map((t) => t.id);
  const shards: Shard[] = Array.from({ length: count }, (_, index) => ({
    index,
    testIds: [],
    estimatedMs: 0,
  }));
  const items = tests
    .map((t, i) => ({ id: t.id, i, ms: estimates.get(t.id) ?? fallback }))
    .sort((a, b) => b.ms - a.ms || a.i - b.i);
  for (const item of items) {
    let target = shards[0] as Shard;
    for (const s of shards) if (s.estimatedMs < target.estimatedMs) target = s;
    target.testIds.push(item.id);
    target.estimatedMs += item.ms;
  }
  for (const s of shards) s.estimatedMs = Math.round(s.estimatedMs);
  const totalMs = shards.reduce((sum, s) => sum + s.estimatedMs, 0);
  return { shards, totalMs, unknown };
}

export interface ShardPlanRequest {
  selection: Selection;
  strategy?: StrategyRequest;
  shards: number;
  now: Date;
}

/** The shard plan of a selection (and strategy), with why the strategy chose each test. */
export async function planRunShards(
  store: Store,
  projectId: string,
  req: ShardPlanRequest,
): Promise<ShardPlan & { selectionDetail: SelectionDetail | null }> {
  const selection = normalizeSelection(req.selection);
  const { tests, detail } = await selectTests(store, projectId, selection, req.strategy, req.now);
  const estimates = await estimateDurations(
    store,
    projectId,
    tests.map((t) => t.id),
  );
  return { ...planShards(tests, estimates, req.shards), selectionDetail: detail };
}
