import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/domain/run-options.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { createMember, createTriggerToken, type TestUser } from './auth-helpers.ts';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';

// Retries, flaky handling, quarantine and the healing default over real HTTP. The executor goes by
// test name: `fail …` always fails, `flaky …` fails on the first execution in each job and passes
// on the next, others pass. It remembers the options each test ran with.
const executions = new Map<string, number>();
const seenOptions = new Map<string, RunOptions>();
const executor: TestExecutor = async (job) => {
  seenOptions.set(job.test.id, job.options);
  const key = `${job.run.id}/${job.test.id}`;
  const n = (executions.get(key) ?? 0) + 1;
  executions.set(key, n);
  const outcome = await passingExecutor(job);
  const name = job.test.name;
  if (name.startsWith('fail') || (name.startsWith('flaky') && n === 1)) {
    return { ...outcome, status: 'failed', failedStep: 0, error: 'expected heading "Welcome"' };
  }
  return outcome;
};

let h: Harness;
let editor: TestUser;
let viewer: TestUser;
const A = '/api/v1/projects/rq-a';
const B = '/api/v1/projects/rq-b';
const as = (u: TestUser) => ({ authorization: `Bearer ${u.apiKey}` });

async function addApproved(base: string, name: string, tags: string[] = []): Promise<string> {
  const res = await h.call('POST', `${base}/tests`, {
    name,
    tags,
    status: 'approved',
    steps: [{ goto: '/' }],
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Start a run over HTTP and wait for its end; returns the run as GET serves it. */
async function runToEnd(base: string, body: Record<string, unknown>) {
  const res = await h.call('POST', `${base}/runs`, body);
  expect(res.status).toBe(202);
  await h.engine.waitForRun(res.body.id as string, { timeoutMs: 15_000 });
  return (await h.call('GET', `${base}/runs/${res.body.id}`)).body;
}

beforeAll(async () => {
  h = await startHarness({ executor });
  await h.call('POST', '/api/v1/projects', {
    name: 'RQ A',
    slug: 'rq-a',
    baseUrl: 'http://a.test',
  });
  await h.call('POST', '/api/v1/projects', {
    name: 'RQ B',
    slug: 'rq-b',
    baseUrl: 'http://b.test',
  });
  editor = await createMember(h.store, { role: 'editor' });
  viewer = await createMember(h.store, { role: 'viewer' });
});
afterAll(async () => {
  await h?.close();
});

describe('quarantine over HTTP', () => {
  it('lets an editor quarantine and release a test; viewers, other projects and bad input are refused', async () => {
    const id = await addApproved(A, 'fail checkout', ['quarantine']);
    const path = `${A}/tests/${id}/quarantine`;

    errorBody(
      await h.call('POST', path, { reason: 'flaky payment' }, as(viewer)),
      403,
      'forbidden',
    );
    errorBody(
      await h.call('POST', `${B}/tests/${id}/quarantine`, { reason: 'x' }),
      404,
      'not_found',
    );
    errorBody(
      await h.call('POST', `${A}/tests/nope/quarantine`, { reason: 'x' }),
      404,
      'not_found',
    );
    errorBody(await h.call('POST', path, { reason: '   ' }), 400, 'validation_failed');
    errorBody(await h.call('POST', path, { reason: 'x'.repeat(501) }), 400, 'validation_failed');
    errorBody(await h.call('POST', path, {}), 400, 'validation_failed');
    errorBody(
      await h.call('POST', path, { reason: 'x', until: 'never' }),
      400,
      'validation_failed',
    );
    expect((await h.call('GET', `${A}/tests/${id}`)).body.quarantine).toBeNull();

    const put = await h.call('POST', path, { reason: '  payment sandbox is down  ' }, as(editor));
    expect(put.status).toBe(200);
    expect(put.body.quarantine).toMatchObject({
      reason: 'payment sandbox is down',
      by: editor.email,
    });
    expect(Number.isNaN(Date.parse(put.body.quarantine.at))).toBe(false);
    const got = await h.call('GET', `${A}/tests/${id}`, undefined, as(viewer));
    expect(got.status).toBe(200);
    expect(got.body.quarantine).toEqual(put.body.quarantine);

    errorBody(await h.call('DELETE', path, undefined, as(viewer)), 403, 'forbidden');
    errorBody(await h.call('DELETE', `${B}/tests/${id}/quarantine`), 404, 'not_found');
    errorBody(await h.call('DELETE', `${A}/tests/nope/quarantine`), 404, 'not_found');
    const released = await h.call('DELETE', path, undefined, as(editor));
    expect(released.status).toBe(200);
    expect(released.body.quarantine).toBeNull();
    expect((await h.call('GET', `${A}/tests/${id}`)).body.quarantine).toBeNull();
  });

  it('a quarantined failing test runs and is reported but does not fail the run', async () => {
    const failing = await addApproved(A, 'fail search', ['q-run']);
    const passing = await addApproved(A, 'pass home', ['q-run']);
    const q = await h.call('POST', `${A}/tests/${failing}/quarantine`, { reason: 'known bug' });
    expect(q.status).toBe(200);

    const run = await runToEnd(A, { tags: ['q-run'] });
    expect(run).toMatchObject({ status: 'passed', total: 2, passed: 1, quarantined: 1, failed: 0 });
    const results = (await h.call('GET', `${A}/runs/${run.id}/results`)).body.items as {
      testId: string;
      status: string;
      quarantined?: boolean;
    }[];
    const bad = results.find((r) => r.testId === failing);
    expect(bad).toMatchObject({ status: 'failed', quarantined: true });
    expect(results.find((r) => r.testId === passing)?.quarantined).not.toBe(true);

    // Released, the same failure gates again.
    expect((await h.call('DELETE', `${A}/tests/${failing}/quarantine`)).status).toBe(200);
    const again = await runToEnd(A, { tags: ['q-run'] });
    expect(again).toMatchObject({ status: 'failed', failed: 1, quarantined: 0 });
  });
});

describe('project defaults for retries, failOnFlaky and healing', () => {
  it('serves the defaults, changes them with PATCH and refuses values out of bounds', async () => {
    const fresh = await h.call('GET', B);
    expect(fresh.body).toMatchObject({ retries: 0, failOnFlaky: false, healing: true });

    for (const bad of [
      { retries: 6 },
      { retries: -1 },
      { retries: 1.5 },
      { retries: '2' },
      { failOnFlaky: 'yes' },
      { healing: 0 },
    ]) {
      errorBody(await h.call('PATCH', B, bad), 400, 'validation_failed');
    }
    errorBody(await h.call('PATCH', B, { retries: 1 }, as(viewer)), 403, 'forbidden');
    expect((await h.call('GET', B)).body).toMatchObject({ retries: 0, healing: true });

    const patched = await h.call('PATCH', B, { retries: 5, failOnFlaky: true, healing: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ retries: 5, failOnFlaky: true, healing: false });
    expect((await h.call('GET', B)).body).toMatchObject({
      retries: 5,
      failOnFlaky: true,
      healing: false,
    });
    const listed = (await h.call('GET', '/api/v1/projects')).body.items.find(
      (p: { slug: string }) => p.slug === 'rq-b',
    );
    expect(listed).toMatchObject({ retries: 5, failOnFlaky: true, healing: false });

    // A PATCH of one field leaves the others as they are.
    const one = await h.call('PATCH', B, { retries: 2 });
    expect(one.body).toMatchObject({ retries: 2, failOnFlaky: true, healing: false });
  });

  it('a run created after the PATCH uses the project defaults; the request wins over them', async () => {
    const patched = await h.call('PATCH', B, { retries: 1, failOnFlaky: true, healing: false });
    expect(patched.status).toBe(200);
    const flaky = await addApproved(B, 'flaky checkout', ['defaults']);

    const run = await runToEnd(B, { tags: ['defaults'] });
    // Retried once (project default), passed on retry, and failOnFlaky (project default) gates.
    expect(run).toMatchObject({ status: 'failed', flaky: 1, total: 1 });
    expect(run.error).toMatch(/flaky/);
    expect(await h.store.runs.options(run.id)).toMatchObject({
      retries: 1,
      failOnFlaky: true,
      healing: false,
    });
    expect(seenOptions.get(flaky)).toMatchObject({ retries: 1, healing: false });
    // The run shows the options it used; unset ones (device, locale, …) are left out.
    expect(run.options).toMatchObject({ retries: 1, failOnFlaky: true, healing: false });
    expect(run.options.browser).toBe('chromium');
    expect(run.options).not.toHaveProperty('device');
    const results = (await h.call('GET', `${B}/runs/${run.id}/results`)).body.items;
    expect(results[0]).toMatchObject({ status: 'flaky', attempt: 2 });
    expect(results[0].retries).toHaveLength(1);

    const overridden = await runToEnd(B, {
      tags: ['defaults'],
      failOnFlaky: false,
      healing: true,
    });
    expect(overridden).toMatchObject({ status: 'passed', flaky: 1 });
    expect(await h.store.runs.options(overridden.id)).toMatchObject({
      retries: 1,
      failOnFlaky: false,
      healing: true,
    });

    const noRetry = await runToEnd(B, { tags: ['defaults'], retries: 0 });
    expect(noRetry).toMatchObject({ status: 'failed', failed: 1, flaky: 0 });
    expect(seenOptions.get(flaky)).toMatchObject({ retries: 0, healing: false });
  });
});

describe('retries, failOnFlaky and timeoutMs on POST /runs and the trigger', () => {
  const outOfBounds = [
    { retries: 6 },
    { retries: -1 },
    { retries: 0.5 },
    { failOnFlaky: 'true' },
    { timeoutMs: 0 },
    { timeoutMs: -5 },
    { timeoutMs: 24 * 3_600_000 + 1 },
    { timeoutMs: 1.5 },
    { healing: 'off' },
  ];

  it('POST /runs takes them within bounds and refuses the rest with 400', async () => {
    await addApproved(A, 'pass runs-fields', ['fields']);
    for (const bad of outOfBounds) {
      const body = errorBody(
        await h.call('POST', `${A}/runs`, { tags: ['fields'], ...bad }),
        400,
        'validation_failed',
      );
      expect(JSON.stringify(body)).toContain(Object.keys(bad)[0]);
    }
    const run = await runToEnd(A, {
      tags: ['fields'],
      retries: 5,
      failOnFlaky: true,
      timeoutMs: 24 * 3_600_000,
    });
    expect(run.status).toBe('passed');
    expect(await h.store.runs.options(run.id)).toMatchObject({
      retries: 5,
      failOnFlaky: true,
      timeoutMs: 24 * 3_600_000,
      healing: true,
    });
  });

  it('the Sentri trigger takes them within bounds and refuses the rest with 400', async () => {
    const projectId = (await h.call('GET', A)).body.id as string;
    const token = await createTriggerToken(h.store, projectId);
    const bearer = { authorization: `Bearer ${token}` };
    const trigger = `/api/v1/projects/${projectId}/trigger`;
    for (const bad of outOfBounds) {
      errorBody(
        await h.call('POST', trigger, { tags: ['fields'], ...bad }, bearer),
        400,
        'validation_failed',
      );
    }
    const res = await h.call(
      'POST',
      trigger,
      { tags: ['fields'], retries: 2, failOnFlaky: true, timeoutMs: 120_000, healing: false },
      bearer,
    );
    expect(res.status).toBe(202);
    const runId = res.body.runId as string;
    const run = await h.engine.waitForRun(runId, { timeoutMs: 15_000 });
    expect(run.status).toBe('passed');
    expect(await h.store.runs.options(runId)).toMatchObject({
      retries: 2,
      failOnFlaky: true,
      timeoutMs: 120_000,
      healing: false,
    });
  });
});
