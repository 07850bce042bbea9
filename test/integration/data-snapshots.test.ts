import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorJob, TestExecutor } from '../../src/engine/executor.ts';
import { makeOutcome } from '../helpers/records.ts';
import { dialects, doc, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { startHarness, type Harness } from './api-harness.ts';

/**
 * A data test runs with the rows its data set had when the run was created: the rows are
 * snapshotted on the run's jobs, so editing or deleting the set mid-run changes nothing.
 */

const trigger = { source: 'api', actor: 'test' };

/**
 * The engine's outside boundary: records the variables each job got, and holds the first job
 * until `release()`, so the test can change the data set while the others are still queued.
 */
function heldExecutor() {
  const calls: ExecutorJob[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let started!: () => void;
  const firstStarted = new Promise<void>((r) => (started = r));
  const executor: TestExecutor = async (job) => {
    calls.push(job);
    if (calls.length === 1) {
      started();
      await gate;
    }
    return makeOutcome(job.test);
  };
  return { executor, calls, firstStarted, release: () => open() };
}

describe.each(dialects)('data-set snapshots on %s', (dialect) => {
  afterEach(stopEngines);

  async function setUp() {
    const x = heldExecutor();
    // One worker and one job at a time: the rows after the first stay queued while it is held.
    const { store, engine } = await startEngine(dialect, x.executor, { workers: 1 });
    const p = await newProject(store, 1);
    await store.dataSets.upsert(p.id, 'users', [
      { name: 'admin', USER: 'ada' },
      { USER: 'bob' },
      { name: 'guest', USER: 'gus' },
    ]);
    const test = await store.tests.create(p.id, doc('Sign in', { data: 'users' }), {
      source: 'api',
      status: 'approved',
    });
    const run = await engine.createRun(p.id, { trigger });
    await x.firstStarted;
    return { ...x, store, engine, p, test, run };
  }

  it('runs every row as it was at creation though the set is edited mid-run', async () => {
    const { store, engine, p, run, calls, release } = await setUp();
    const jobs = await store.jobs.listByRun(run.id);
    expect(jobs.map((j) => j.row)).toEqual([
      { name: 'admin', USER: 'ada' },
      { USER: 'bob' },
      { name: 'guest', USER: 'gus' },
    ]);

    // Shorter, renamed and with other values: none of it may reach this run.
    await store.dataSets.upsert(p.id, 'users', [{ name: 'zed', USER: 'zoe' }]);
    release();
    const done = await engine.waitForRun(run.id);
    expect(done).toMatchObject({ status: 'passed', total: 3, passed: 3, errored: 0 });
    expect(calls.map((c) => c.variables.USER).sort()).toEqual(['ada', 'bob', 'gus']);
    const results = await store.results.listByRun(run.id);
    expect(results.map((r) => [r.testName, r.variant, r.row]).sort()).toEqual([
      ['Sign in [#2]', '1', '#2'],
      ['Sign in [admin]', '0', 'admin'],
      ['Sign in [guest]', '2', 'guest'],
    ]);

    // A run created after the edit uses the new rows.
    const next = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    expect(next).toMatchObject({ status: 'passed', total: 1 });
    expect((await store.results.listByRun(next.id)).map((r) => r.testName)).toEqual([
      'Sign in [zed]',
    ]);
  });

  it('completes with the snapshotted rows when the set is deleted mid-run', async () => {
    const { store, engine, p, run, calls, release } = await setUp();
    expect(await store.dataSets.delete(p.id, 'users')).toBe(true);
    release();
    const done = await engine.waitForRun(run.id);
    expect(done).toMatchObject({ status: 'passed', total: 3, passed: 3, errored: 0 });
    expect(calls.map((c) => c.variables.USER).sort()).toEqual(['ada', 'bob', 'gus']);
    // A new run names the missing set instead of skipping its rows.
    await expect(engine.createRun(p.id, { trigger })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('data set "users" not found'),
    });
  });
});

describe('data-set rows in results over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { allowPrivateUrls: ['loopback'] } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows each result’s row index and label, in the API and the JSON report', async () => {
    const slug = `rows-${Math.random().toString(36).slice(2, 8)}`;
    const created = await h.call('POST', '/api/v1/projects', {
      name: slug,
      slug,
      baseUrl: 'http://127.0.0.1:9',
    });
    expect(created.status).toBe(201);
    const P = `/api/v1/projects/${created.body.id}`;
    await h.call('PUT', `${P}/data-sets/roles`, 'name,ROLE\nadmin,admin\n,editor\n', {
      'content-type': 'text/csv',
    });
    for (const body of [
      { name: 'Sign in', data: 'roles', status: 'approved', steps: [{ goto: '/' }] },
      { name: 'Home', status: 'approved', steps: [{ goto: '/' }] },
    ]) {
      expect((await h.call('POST', `${P}/tests`, body)).status).toBe(201);
    }
    const res = await h.call('POST', `${P}/runs`, {});
    expect(res.status).toBe(202);
    const run = await h.engine.waitForRun(res.body.id);
    expect(run).toMatchObject({ status: 'passed', total: 3 });

    const items = (await h.call('GET', `${P}/runs/${run.id}/results`)).body.items as {
      testName: string;
      variant?: number;
      row?: string;
    }[];
    const byName = Object.fromEntries(items.map((r) => [r.testName, r]));
    expect(byName['Sign in [admin]']).toMatchObject({ variant: 0, row: 'admin' });
    expect(byName['Sign in [#2]']).toMatchObject({ variant: 1, row: '#2' });
    expect(byName['Home']).not.toHaveProperty('variant');
    expect(byName['Home']).not.toHaveProperty('row');

    const report = await h.call('GET', `${P}/runs/${run.id}/report?format=json`);
    expect(report.status).toBe(200);
    const rows = (report.body.results as { testName: string; variant?: number; row?: string }[])
      .map((r) => [r.testName, r.variant ?? null, r.row ?? null])
      .sort();
    expect(rows).toEqual([
      ['Home', null, null],
      ['Sign in [#2]', 1, '#2'],
      ['Sign in [admin]', 0, 'admin'],
    ]);
    const schema = await h.call('GET', '/api/v1/schemas/report.json');
    expect(JSON.stringify(schema.body)).toContain('"row"');
  });
});
