import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import type { Run, TestResult } from '../../src/domain/run.ts';
import type { StrategyRequest } from '../../src/domain/selection.ts';
import { flakyScores, selectTests } from '../../src/engine/selection.ts';
import { estimateDurations, planRunShards } from '../../src/engine/shard-plan.ts';
import type { Store } from '../../src/store/connect.ts';
import { dialects, doc, newProject } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { useTestStore } from '../helpers/suite-store.ts';

// Strategies failed, flaky and recent over hand-made history rows, on both engines.

const NOW = new Date('2030-06-15T12:00:00.000Z');
let minute = 0;
/** Strictly increasing timestamps, so "newest" is unambiguous. */
const tick = (): string => new Date(Date.UTC(2030, 5, 1) + ++minute * 60_000).toISOString();

async function addRun(
  store: Store,
  projectId: string,
  results: [testId: string, status: string, durationMs?: number][],
  opts: { branch?: string; status?: Run['status'] } = {},
): Promise<string> {
  const at = tick();
  const run = makeRun(
    projectId,
    results.map((r) => r[0]),
    {
      status: opts.status ?? 'failed',
      trigger: { source: 'ci' },
      createdAt: at,
      startedAt: at,
      finishedAt: at,
    },
  );
  await store.runs.create(run);
  if (opts.branch !== undefined) {
    await store.runTriggers.insert({
      runId: run.id,
      projectId,
      shape: 'sentri',
      concurrencyKey: opts.branch,
      policy: 'queue',
      blockedBy: null,
      strategy: null,
      browser: null,
      device: null,
      git: { ref: opts.branch },
      event: null,
      externalUrl: null,
      hasCallback: false,
      idempotencyKey: null,
      cancelReason: null,
      createdAt: at,
    });
  }
  for (const [testId, status, durationMs] of results) {
    const started = tick();
    const r = makeResult(run.id, testId, {
      status: status as TestResult['status'],
      durationMs: durationMs ?? 100,
      startedAt: started,
      finishedAt: started,
    });
    await store.results.insert(projectId, r);
  }
  return run.id;
}

describe.each(dialects)('selection strategies on %s', (dialect) => {
  const ts = useTestStore(dialect);
  let store: Store;
  let projectId: string;
  const id: Record<string, string> = {};

  const select = (s: StrategyRequest | undefined, testIds?: string[]) =>
    selectTests(store, projectId, testIds ? { testIds } : {}, s, NOW);
  const names = (tests: { id: string }[]): string[] =>
    tests.map((t) => Object.entries(id).find(([, v]) => v === t.id)?.[0] ?? t.id).sort();

  beforeAll(async () => {
    store = ts.store;
    projectId = (await newProject(store)).id;
    for (const n of ['steady', 'flipper', 'retried', 'old', 'broken']) {
      const t = await store.tests.create(projectId, doc(n), { status: 'approved', source: 'api' });
      id[n] = t.id;
    }
    // `old` was written long ago; the others now (the store's clock).
    await store.db
      .updateTable('tests')
      .set({ created_at: '2020-01-01T00:00:00.000Z', updated_at: '2020-01-02T00:00:00.000Z' })
      .where('id', '=', id.old!)
      .execute();
    // Twenty runs: steady always passes, flipper alternates, retried needed a retry twice.
    for (let i = 0; i < 20; i++) {
      await addRun(store, projectId, [
        [id.steady!, 'passed', 100 + i],
        [id.flipper!, i % 2 === 0 ? 'passed' : 'failed', i === 19 ? 90_000 : 1_000],
        [id.retried!, i === 4 || i === 12 ? 'flaky' : 'passed', 500],
      ]);
    }
    // The newest run of branch main failed `broken`; a later run of another branch failed `old`.
    await addRun(
      store,
      projectId,
      [
        [id.broken!, 'failed'],
        [id.steady!, 'passed'],
      ],
      {
        branch: 'main',
      },
    );
    await addRun(store, projectId, [[id.old!, 'error']], { branch: 'feature/x' });
    await addRun(store, projectId, [[id.steady!, 'failed']], { status: 'cancelled' });
  });

  it('scores flakiness from flips and flaky results', async () => {
    const scores = await flakyScores(store, projectId, Object.values(id));
    expect(scores.get(id.flipper!)?.score).toBeGreaterThanOrEqual(90);
    expect(scores.get(id.retried!)).toEqual({ score: 10, counted: 20, unstable: 2 });
    expect(scores.get(id.broken!)?.score).toBe(0);
    // The cancelled run's failure counts as a result too: one flip in steady's last 20.
    expect(scores.get(id.steady!)?.unstable).toBe(1);
  });

  it('flaky picks tests at or above minFlakyScore, with the score as reason', async () => {
    const flaky = await select({ strategy: 'flaky' });
    expect(names(flaky.tests)).toEqual(['flipper', 'retried']);
    expect(flaky.detail?.inputs).toEqual({ minFlakyScore: 10 });
    expect(flaky.detail?.reasons[id.retried!]).toBe(
      'flaky score 10 ≥ 10 (2 of 20 results unstable)',
    );
    const strict = await select({ strategy: 'flaky', minFlakyScore: 50 });
    expect(names(strict.tests)).toEqual(['flipper']);
  });

  it('failed reads the last finished run of the branch, else of the project', async () => {
    const main = await select({ strategy: 'failed', branch: 'main' });
    expect(names(main.tests)).toEqual(['broken']);
    expect(main.detail?.reasons[id.broken!]).toMatch(/^failed in run .+ on main$/);
    const any = await select({ strategy: 'failed' });
    expect(names(any.tests)).toEqual(['old']);
    expect(any.detail?.reasons[id.old!]).toMatch(/^error in run /);
    await expect(select({ strategy: 'failed', branch: 'nowhere' })).rejects.toMatchObject({
      code: 'no_tests',
    });
  });

  it('recent picks tests created or changed within recentDays', async () => {
    const recent = await select({ strategy: 'recent', recentDays: 365 * 20 });
    expect(recent.tests).toHaveLength(5);
    const week = await selectTests(store, projectId, {}, { strategy: 'recent' }, new Date());
    expect(names(week.tests)).toEqual(['broken', 'flipper', 'retried', 'steady']);
    expect(week.detail?.reasons[id.steady!]).toMatch(/^created /);
    expect(week.detail?.inputs.recentDays).toBe(7);
  });

  it('a strategy only narrows the selection, and an empty result names the strategy', async () => {
    const within = await select({ strategy: 'flaky' }, [id.flipper!, id.steady!]);
    expect(names(within.tests)).toEqual(['flipper']);
    const err = await select({ strategy: 'flaky' }, [id.steady!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('no_tests');
    expect((err as AppError).message).toContain('strategy "flaky"');
    await expect(select({ strategy: 'changed' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('estimates durations as the median of the last 10 passed/failed results', async () => {
    const est = await estimateDurations(store, projectId, [id.flipper!, id.steady!, id.old!]);
    // flipper's last run took 90 s; the median of its last ten ignores that outlier.
    expect(est.get(id.flipper!)).toBe(1_000);
    expect(est.has(id.old!)).toBe(false);
    const plan = await planRunShards(store, projectId, {
      selection: {},
      shards: 2,
      now: NOW,
    });
    expect(plan.shards.flatMap((s) => s.testIds).sort()).toEqual(Object.values(id).sort());
    expect(plan.unknown).toEqual([id.old!]);
  });
});
