import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { parseCsv } from '../../src/domain/data-set.ts';
import type { TestOutcome } from '../../src/engine/executor.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { Engine, ExecutorJob, TestExecutor } from '../../src/engine/engine.ts';
import { finalResults } from '../../src/report/report-model.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { dialects, doc, newProject, type TestStore } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';

/**
 * The engine's outside boundary: passes when the variable EXPECT is `ok`, records every job so
 * the test can see which variables each row got.
 */
function variableExecutor() {
  const calls: ExecutorJob[] = [];
  const executor: TestExecutor = async (job) => {
    calls.push(job);
    const passed = { ...(await passingExecutor(job)), steps: [] };
    if (job.variables.EXPECT === 'ok') return passed;
    const failed: TestOutcome = {
      ...passed,
      status: 'failed',
      failedStep: 0,
      error: `expected ok, got ${job.variables.EXPECT}`,
    };
    return failed;
  };
  return { executor, calls };
}

const trigger = { source: 'api', actor: 'test' };

describe.each(dialects)('data tests on %s', (dialect) => {
  let t: TestStore;
  let engine: Engine;
  let calls: ExecutorJob[];
  afterEach(stopEngines);
  async function start(): Promise<void> {
    const x = variableExecutor();
    calls = x.calls;
    ({ t, engine } = await startEngine(dialect, x.executor));
  }

  it('runs a data test once per row; row variables win; a failing row fails the run by name', async () => {
    await start();
    const { store } = t;
    const p = await newProject(store);
    await store.environments.upsert(p.id, {
      name: 'staging',
      baseUrl: null,
      variables: { EXPECT: 'from-env', USER: 'env-user', ENV_ONLY: 'e' },
      secretNames: [],
    });
    await store.dataSets.upsert(p.id, 'users', [
      { name: 'admin', USER: 'ada', EXPECT: 'ok' },
      { USER: 'bob', EXPECT: 'ok' },
      { name: 'guest', USER: 'gus', EXPECT: 'nope' },
    ]);
    const dataTest = await store.tests.create(
      p.id,
      doc('Sign in', { data: 'users', variables: { USER: 'test-user', TEST_ONLY: 't' } }),
      { source: 'api', status: 'approved' },
    );
    const plain = await store.tests.create(p.id, doc('Home', { variables: { EXPECT: 'ok' } }), {
      source: 'api',
      status: 'approved',
    });
    expect(dataTest.dataSet).toBe('users');
    expect(plain.dataSet).toBeNull();

    const queued = await engine.createRun(p.id, { trigger, environment: 'staging' });
    expect(queued.total).toBe(4);
    expect([...queued.testIds].sort()).toEqual([dataTest.id, plain.id].sort());
    const jobs = await store.jobs.listByRun(queued.id);
    expect(jobs.map((j) => j.variant).sort()).toEqual(['', '0', '1', '2']);

    const run = await engine.waitForRun(queued.id);
    expect(run).toMatchObject({ status: 'failed', total: 4, passed: 2, failed: 2, errored: 0 });
    // The plain test gets the environment's EXPECT (env wins over test vars) and fails too.
    const results = await store.results.listByRun(run.id);
    const byName = Object.fromEntries(results.map((r) => [r.testName, r]));
    expect(Object.keys(byName).sort()).toEqual([
      'Home',
      'Sign in [#2]',
      'Sign in [admin]',
      'Sign in [guest]',
    ]);
    expect(byName['Sign in [admin]']).toMatchObject({ status: 'passed', variant: '0' });
    expect(byName['Sign in [#2]']).toMatchObject({ status: 'passed', variant: '1' });
    expect(byName['Sign in [guest]']).toMatchObject({ status: 'failed', variant: '2' });
    expect(byName['Home']?.variant).toBeUndefined();
    expect(byName['Home']?.status).toBe('failed');

    const rowCalls = calls.filter((c) => c.test.id === dataTest.id);
    const users = rowCalls.map((c) => c.variables.USER).sort();
    expect(users).toEqual(['ada', 'bob', 'gus']);
    for (const c of rowCalls) {
      expect(c.variables).toMatchObject({ ENV_ONLY: 'e', TEST_ONLY: 't' });
    }
    // Each row has its own artifacts folder.
    expect(new Set(rowCalls.map((c) => c.artifactsDir)).size).toBe(3);
    // Reports keep one final result per row.
    expect(finalResults(results)).toHaveLength(4);
  });

  it('swaps the data set with the dataSet run option and refuses a missing one by name', async () => {
    await start();
    const { store } = t;
    const p = await newProject(store);
    await store.dataSets.upsert(p.id, 'users', [{ EXPECT: 'nope' }]);
    await store.dataSets.upsert(p.id, 'smoke-users', [{ EXPECT: 'ok' }, { EXPECT: 'ok' }]);
    await store.dataSets.upsert(p.id, 'empty', []);
    await store.tests.create(p.id, doc('Sign in', { data: 'users' }), {
      source: 'api',
      status: 'approved',
    });
    const swapped = await engine.createRun(p.id, { trigger, options: { dataSet: 'smoke-users' } });
    expect(swapped.total).toBe(2);
    expect(await engine.waitForRun(swapped.id)).toMatchObject({ status: 'passed', passed: 2 });

    await expect(
      engine.createRun(p.id, { trigger, options: { dataSet: 'nope' } }),
    ).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('"nope"') });
    await expect(
      engine.createRun(p.id, { trigger, options: { dataSet: 'empty' } }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('"empty" has no rows'),
    });
    await store.dataSets.delete(p.id, 'users');
    await expect(engine.createRun(p.id, { trigger })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/data set "users" not found \(used by test "Sign in"\)/),
    });
  });
});

describe('CSV', () => {
  it('parses a header line, quotes, commas and line breaks in fields', () => {
    const rows = parseCsv(
      'name,EMAIL,NOTE\r\nadmin,a@x.io,"says ""hi"", twice"\n\n,b@x.io,"two\nlines"\n',
    );
    expect(rows).toEqual([
      { name: 'admin', EMAIL: 'a@x.io', NOTE: 'says "hi", twice' },
      { name: '', EMAIL: 'b@x.io', NOTE: 'two\nlines' },
    ]);
  });

  it('names the line of a bad row and refuses bad headers', () => {
    expect(() => parseCsv('A,B\n1,2\n3\n')).toThrow(/line 3 has 1 fields; the header has 2/);
    expect(() => parseCsv('A,my col\n1,2')).toThrow(/column 2 "my col"/);
    expect(() => parseCsv('')).toThrow(/empty/);
    expect(() => parseCsv('A\n"open')).toThrow(/never closed/);
  });
});

describe('data sets over HTTP, and a data test in Chromium', () => {
  let h: Harness;
  let site: StaticServer;
  let pool: BrowserPool;
  beforeAll(async () => {
    pool = new BrowserPool({ chromiumPath: null, browserWs: null });
    site = await startStaticServer(resolve('test/fixtures/data-sets'));
    h = await startHarness({
      executor: chromiumExecutor(pool, tmpdir()),
      config: { allowPrivateUrls: ['loopback'] },
    });
  });
  afterAll(async () => {
    await h?.close();
    await site?.close();
    await pool?.close();
  });

  async function project(): Promise<string> {
    const slug = `ds-${Math.random().toString(36).slice(2, 8)}`;
    const res = await h.call('POST', '/api/v1/projects', { name: slug, slug, baseUrl: site.url });
    expect(res.status).toBe(201);
    return `/api/v1/projects/${res.body.id}`;
  }

  it('creates, replaces (JSON and CSV), lists, reads and deletes data sets', async () => {
    const P = await project();
    const created = await h.call('PUT', `${P}/data-sets/users`, {
      rows: [{ name: 'admin', EMAIL: 'a@x.io' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'users', rowCount: 1 });
    const csv = await h.call(
      'PUT',
      `${P}/data-sets/users`,
      'name,EMAIL\nadmin,a@x.io\nbob,"b,@x.io"\n',
      {
        'content-type': 'text/csv',
      },
    );
    expect(csv.status).toBe(200);
    expect(csv.body.rows).toEqual([
      { name: 'admin', EMAIL: 'a@x.io' },
      { name: 'bob', EMAIL: 'b,@x.io' },
    ]);
    const list = await h.call('GET', `${P}/data-sets`);
    expect(list.body.items).toEqual([expect.objectContaining({ name: 'users', rowCount: 2 })]);
    expect((await h.call('GET', `${P}/data-sets/users`)).body.rows).toHaveLength(2);

    // Bad input: clear 400s, never a 500.
    errorBody(
      await h.call('PUT', `${P}/data-sets/users`, { rows: [{ 'bad col': 'x' }] }),
      400,
      'validation_failed',
    );
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ N: String(i) }));
    errorBody(
      await h.call('PUT', `${P}/data-sets/big`, { rows: tooMany }),
      400,
      'validation_failed',
    );
    const badCsv = errorBody(
      await h.call('PUT', `${P}/data-sets/users`, 'A,B\n1\n', { 'content-type': 'text/csv' }),
      400,
      'validation_failed',
    );
    expect(badCsv.error).toMatch(/line 2/);
    const bigCsv = `N\n${Array.from({ length: 1001 }, (_, i) => i).join('\n')}\n`;
    errorBody(
      await h.call('PUT', `${P}/data-sets/big`, bigCsv, { 'content-type': 'text/csv' }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PUT', `${P}/data-sets/bad%20name`, { rows: [] }),
      400,
      'validation_failed',
    );

    expect((await h.call('DELETE', `${P}/data-sets/users`)).status).toBe(204);
    errorBody(await h.call('GET', `${P}/data-sets/users`), 404, 'not_found');
    errorBody(await h.call('DELETE', `${P}/data-sets/users`), 404, 'not_found');
  });

  it('runs a data test in Chromium once per row and names the failing row', async () => {
    const P = await project();
    await h.call(
      'PUT',
      `${P}/data-sets/roles`,
      'name,EMAIL,ROLE\nadmin,ada@x.io,admin\n,ed@x.io,editor\nintruder,eve@x.io,guest\n',
      {
        'content-type': 'text/csv',
      },
    );
    const test = await h.call('POST', `${P}/tests`, {
      name: 'Sign in',
      data: 'roles',
      status: 'approved',
      steps: [
        { goto: '/sign-in.html' },
        { fill: { label: 'Email' }, value: '{{EMAIL}}' },
        { fill: { label: 'Role' }, value: '{{ROLE}}' },
        { click: { role: 'button', name: 'Sign in' } },
        {
          expect: { text: { locator: { role: 'status' }, equals: 'Welcome {{EMAIL}} ({{ROLE}})' } },
        },
      ],
    });
    expect(test.status).toBe(201);
    expect(test.body.data).toBe('roles');

    const missing = await h.call('POST', `${P}/runs`, { dataSet: 'nope' });
    expect(errorBody(missing, 404, 'not_found').error).toMatch(/data set "nope"/);

    const res = await h.call('POST', `${P}/runs`, {});
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(3);
    const run = await h.engine.waitForRun(res.body.id);
    expect(run).toMatchObject({ status: 'failed', total: 3, passed: 2, failed: 1 });
    const results = (await h.call('GET', `${P}/runs/${run.id}/results`)).body.items as {
      testName: string;
      status: string;
      error: string | null;
    }[];
    const byName = Object.fromEntries(results.map((r) => [r.testName, r]));
    expect(byName['Sign in [admin]']?.status).toBe('passed');
    expect(byName['Sign in [#2]']?.status).toBe('passed');
    expect(byName['Sign in [intruder]']?.status).toBe('failed');
    expect(byName['Sign in [intruder]']?.error).toContain('Access denied for eve@x.io');
  }, 120_000);
});
