import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledQuery } from 'kysely';
import { nextJobQuery, pendingJobQuery } from '../../src/store/jobs.ts';
import { runListCountQuery, runListPageQuery } from '../../src/store/runs.ts';
import { testListQueries } from '../../src/store/tests.ts';
import { makeRun } from '../helpers/records.ts';
import type { Store } from '../../src/store/connect.ts';
import {
  addTests,
  dialects,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';

// The per-test queries of a run (claim the next job, "anything left?", the live counts) must
// be served by an index, so their cost does not grow with the run: a full scan of `jobs` here
// made a 1,000-test run spend a minute on bookkeeping (bench/orchestration.ts measures it).

const opened: TestStore[] = [];
afterAll(async () => {
  for (const t of opened) await t.dispose();
});

/** The query plan as text lines, on either dialect. */
async function plan(store: Store, q: CompiledQuery): Promise<string[]> {
  if (store.dialect === 'sqlite') {
    const r = await store.db.executeQuery<{ detail: string }>({
      ...q,
      sql: `explain query plan ${q.sql}`,
    });
    return r.rows.map((row) => row.detail);
  }
  // Tiny tables make a sequential scan the cheapest plan; with it priced out, the planner
  // still falls back to one when no index can serve the query, which is what this catches.
  return store.db.transaction().execute(async (tx) => {
    await tx.executeQuery({ ...q, sql: 'set local enable_seqscan = off', parameters: [] });
    const r = await tx.executeQuery<{ 'QUERY PLAN': string }>({
      ...q,
      sql: `explain ${q.sql}`,
    });
    return r.rows.map((row) => row['QUERY PLAN']);
  });
}

const scansJobs = (lines: string[], dialect: string): string[] =>
  lines.filter((l) =>
    dialect === 'sqlite' ? /\bSCAN (jobs|j|q|k)\b/.test(l) : /Seq Scan on jobs/.test(l),
  );

describe.each(dialects)('per-test queries on %s', (dialect) => {
  async function storeWithRun() {
    const t = await openTestStore(dialect);
    opened.push(t);
    const { store } = t;
    const project = await newProject(store, 2);
    const tests = await addTests(
      store,
      project,
      Array.from({ length: 50 }, (_, i) => `t${i}`),
    );
    const at = new Date().toISOString();
    const run = makeRun(
      project.id,
      tests.map((x) => x.id),
      {
        status: 'running',
        baseUrl: 'http://app.invalid',
        parallelWorkers: 2,
        createdAt: at,
        startedAt: at,
        options: {} as never,
      },
    );
    const runId = run.id;
    await store.runs.create(run);
    await store.jobs.insertMany(
      tests.map((x, seq) => ({ runId, projectId: project.id, testId: x.id, seq })),
    );
    return { store, runId };
  }

  it('claims the next job through the jobs_run_queue index, without scanning jobs', async () => {
    const { store } = await storeWithRun();
    const lines = await plan(store, nextJobQuery(store.db, new Date().toISOString()).compile());
    expect(scansJobs(lines, dialect), lines.join('\n')).toEqual([]);
    expect(lines.join('\n')).toMatch(/jobs_run_queue/);
    // And it claims in plan order.
    const job = await store.jobs.claimNext('me', new Date(Date.now() + 60_000).toISOString());
    expect(job?.seq).toBe(0);
  });

  it('asks whether anything is left with an index probe', async () => {
    const { store, runId } = await storeWithRun();
    const lines = await plan(store, pendingJobQuery(store.db, runId).compile());
    expect(scansJobs(lines, dialect), lines.join('\n')).toEqual([]);
    expect(await store.jobs.hasPending(runId)).toBe(true);
  });

  it('keeps the live counts with each result, equal to counting the results', async () => {
    const { store, runId } = await storeWithRun();
    const statuses = ['passed', 'failed', 'passed', 'error', 'skipped', 'flaky'] as const;
    const run = await store.runs.get(null, runId);
    for (const [i, status] of statuses.entries()) {
      const at = new Date().toISOString();
      await store.results.insert(run!.projectId, {
        id: crypto.randomUUID(),
        runId,
        testId: run!.testIds[i]!,
        testName: `t${i}`,
        status,
        attempt: 1,
        durationMs: 1,
        failedStep: null,
        error: null,
        steps: [],
        consoleErrors: [],
        failedRequests: [],
        artifacts: {},
        startedAt: at,
        finishedAt: at,
        ...(i === 5 ? { quarantined: true } : {}),
      });
    }
    const expected = { passed: 2, failed: 1, errored: 1, skipped: 1, flaky: 0, quarantined: 1 };
    expect(await store.results.tally(runId)).toEqual(expected);
    expect(await store.runs.get(null, runId)).toMatchObject(expected);
    const listed = await store.runs.list(run!.projectId, { limit: 10, offset: 0 });
    expect(listed.items[0]).toMatchObject(expected);
  });

  it('pages the runs list, filtered by status or not, from an index in its order', async () => {
    const { store } = await storeWithRun();
    const project = (await store.projects.list())[0]!;
    for (const status of [undefined, 'failed', 'running'] as const) {
      const q = { limit: 20, offset: 0, ...(status ? { status } : {}) };
      const page = (await plan(store, runListPageQuery(store.db, project.id, q).compile())).join(
        '\n',
      );
      const count = (await plan(store, runListCountQuery(store.db, project.id, q).compile())).join(
        '\n',
      );
      const index = status ? 'runs_project_status_created' : 'runs_project_created_id';
      expect(page).toMatch(index);
      // All runs and finished ones: one kept count read, never a walk of the project's runs.
      const kept = status !== 'running';
      if (kept) expect(count).not.toMatch(/\bruns\b/);
      if (dialect === 'sqlite') {
        // No sort of the matching runs for the order (the list went through `runs_status`
        // and sorted every failed run of the workspace per page).
        expect(page).not.toMatch(/TEMP B-TREE/);
        expect(count).toMatch(
          kept ? /SEARCH run_counts USING/ : /COVERING INDEX runs_project_status_created/,
        );
      } else {
        expect(page).not.toMatch(/Seq Scan on runs|Sort/);
        expect(count).not.toMatch(/Seq Scan on runs/);
      }
    }
  });

  it('pages the tests list in suite and name order from its index, not a sort', async () => {
    const { store } = await storeWithRun();
    const project = (await store.projects.list())[0]!;
    const { page } = testListQueries(store.db, project.id, { limit: 50, offset: 0 });
    const lines = (await plan(store, page.compile())).join('\n');
    expect(lines).toMatch('tests_list_order');
    expect(lines).not.toMatch(dialect === 'sqlite' ? /TEMP B-TREE/ : /Seq Scan on tests|Sort/);
  });
});
