import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { authOf, errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';

// Executor by test name: `block …` runs until cancelled, `gate …` until the gate opens, others pass.
function newGate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
let gate = newGate();
const executor: TestExecutor = async (job) => {
  const name = job.test.name;
  if (name.startsWith('block') || name.startsWith('gate')) {
    await new Promise<void>((resolve, reject) => {
      if (job.signal.aborted) return reject(new Error('aborted'));
      job.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      if (name.startsWith('gate')) void gate.promise.then(resolve);
    });
  }
  return passingExecutor(job);
};

let h: Harness;
const A = '/api/v1/projects/run-a';
const B = '/api/v1/projects/run-b';

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

/** Poll until the run is finished; bounded, no fixed sleeps in the happy path. */
async function finished(base: string, runId: string): Promise<Record<string, unknown>> {
  const run = await h.engine.waitForRun(runId, { timeoutMs: 10_000 });
  expect(['passed', 'failed', 'error', 'cancelled']).toContain(run.status);
  return (await h.call('GET', `${base}/runs/${runId}`)).body;
}

beforeAll(async () => {
  h = await startHarness({ executor, sseHeartbeatMs: 100 });
  await h.call('POST', '/api/v1/projects', { name: 'Run A', baseUrl: 'http://a.test' });
  await h.call('POST', '/api/v1/projects', { name: 'Run B', baseUrl: 'http://b.test' });
});
afterAll(async () => {
  gate.resolve();
  await h?.close();
});

describe('runs', () => {
  it('refuses a run with no approved tests (400 no_tests, never a silent pass)', async () => {
    await h.call('POST', `${A}/tests`, { name: 'Draft only', steps: [{ goto: '/' }] });
    const body = errorBody(await h.call('POST', `${A}/runs`, {}), 400, 'no_tests');
    expect(body.error).toMatch(/approve/i);
  });

  it('starts a run (202), then serves it, its results and the list', async () => {
    const ids = [await addApproved(A, 'pass one', ['smoke']), await addApproved(A, 'pass two')];
    const res = await h.call('POST', `${A}/runs`, { tags: ['smoke'], parallelWorkers: 1 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      total: 1,
      testIds: [ids[0]],
      selection: { tags: ['smoke'] },
      trigger: { source: 'api' },
      baseUrl: 'http://a.test',
      parallelWorkers: 1,
    });
    expect(res.headers.get('location')).toBe(
      `/api/v1/projects/${res.body.projectId}/runs/${res.body.id}`,
    );
    const run = await finished(A, res.body.id);
    expect(run).toMatchObject({ status: 'passed', passed: 1, failed: 0, error: null });

    const results = await h.call('GET', `${A}/runs/${res.body.id}/results`);
    expect(results.status).toBe(200);
    expect(results.body.items).toHaveLength(1);
    expect(results.body.items[0]).toMatchObject({ testId: ids[0], status: 'passed', attempt: 1 });

    const list = await h.call('GET', `${A}/runs?limit=1`);
    expect(list.body).toMatchObject({ limit: 1, offset: 0 });
    expect(list.body.items[0].id).toBe(res.body.id);
    const none = await h.call('GET', `${A}/runs?status=failed`);
    expect(none.body).toMatchObject({ items: [], total: 0 });
  });

  it('validates run requests', async () => {
    errorBody(await h.call('POST', `${A}/runs`, { parallelWorkers: 17 }), 400, 'validation_failed');
    errorBody(await h.call('POST', `${A}/runs`, { suites: 'auth' }), 400, 'validation_failed');
    errorBody(await h.call('POST', `${A}/runs`, { branches: ['main'] }), 400, 'validation_failed');
    errorBody(
      await h.call('POST', `${A}/runs`, { baseUrl: 'not a url' }),
      400,
      'validation_failed',
    );
    errorBody(await h.call('POST', `${A}/runs`, { environment: 'nowhere' }), 404, 'not_found');
    errorBody(await h.call('GET', `${A}/runs?status=done`), 400, 'validation_failed');
  });

  it('uses an environment for the base URL', async () => {
    await h.call('PUT', `${A}/environments/staging`, { baseUrl: 'https://staging.a.test' });
    const res = await h.call('POST', `${A}/runs`, { environment: 'staging' });
    expect(res.body).toMatchObject({ environment: 'staging', baseUrl: 'https://staging.a.test' });
    await finished(A, res.body.id);
  });

  it('cancels a running run; cancelling again returns it unchanged', async () => {
    const id = await addApproved(A, 'block forever', ['blocking']);
    const res = await h.call('POST', `${A}/runs`, { testIds: [id] });
    expect(res.status).toBe(202);
    const cancelled = await h.call('POST', `${A}/runs/${res.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: res.body.id, status: 'cancelled' });
    const again = await h.call('POST', `${A}/runs/${res.body.id}/cancel`);
    expect(again.body.status).toBe('cancelled');
    errorBody(await h.call('POST', `${A}/runs/nope/cancel`), 404, 'not_found');
  });

  it('answers 404 for an unknown run and for a run of another project', async () => {
    const res = await h.call('POST', `${A}/runs`, { tags: ['smoke'] });
    await finished(A, res.body.id);
    for (const [method, path] of [
      ['GET', `${A}/runs/nope`],
      ['GET', `${A}/runs/nope/results`],
      ['GET', `${A}/runs/nope/events`],
      ['GET', `${B}/runs/${res.body.id}`],
      ['GET', `${B}/runs/${res.body.id}/results`],
      ['GET', `${B}/runs/${res.body.id}/events`],
      ['POST', `${B}/runs/${res.body.id}/cancel`],
    ] as const) {
      errorBody(await h.call(method, path), 404, 'not_found');
    }
    errorBody(await h.call('POST', `${B}/runs`, { testIds: res.body.testIds }), 400, 'no_tests');
    expect((await h.call('GET', `${B}/runs`)).body.total).toBe(0);
  });
});

describe('run events (SSE)', () => {
  it('streams state, heartbeats, test events and run.finished, then ends', async () => {
    await addApproved(A, 'gate one', ['gated']);
    await addApproved(A, 'gate two', ['gated']);
    const created = await h.call('POST', `${A}/runs`, { tags: ['gated'] });
    const res = await fetch(`${h.url}${A}/runs/${created.body.id}/events`, authOf(h));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = sseReader(res);

    const first = await sse.next();
    expect(first?.event).toBe('run.state');
    expect(first?.data).toMatchObject({ run: { id: created.body.id, total: 2 }, results: [] });

    // Wait for a heartbeat (100 ms here) before letting the tests finish.
    const seen: SseMessage[] = [];
    for (let m = await sse.next(); m; m = await sse.next()) {
      seen.push(m);
      if (m.comment === 'heartbeat') break;
    }
    expect(seen.some((m) => m.comment === 'heartbeat')).toBe(true);
    gate.resolve();

    for (let m = await sse.next(); m; m = await sse.next()) seen.push(m);
    const events = seen.filter((m) => m.event).map((m) => m.event);
    expect(events.filter((e) => e === 'test.finished')).toHaveLength(2);
    expect(events.at(-1)).toBe('run.finished');
    const last = seen.filter((m) => m.event).at(-1)?.data;
    expect(last).toMatchObject({ type: 'run.finished', runId: created.body.id, status: 'passed' });
    gate = newGate();
  });

  it('gives a late subscriber the final state and ends at once', async () => {
    const created = await h.call('POST', `${A}/runs`, { tags: ['smoke'] });
    await finished(A, created.body.id);
    const sse = sseReader(await fetch(`${h.url}${A}/runs/${created.body.id}/events`, authOf(h)));
    const state = await sse.next();
    expect(state?.event).toBe('run.state');
    expect(state?.data).toMatchObject({
      run: { status: 'passed' },
      results: [{ status: 'passed' }],
    });
    const fin = await sse.next();
    expect(fin).toMatchObject({
      event: 'run.finished',
      data: { status: 'passed', counts: { total: 1, passed: 1 } },
    });
    expect(await sse.next()).toBeNull();
  });

  it('ends open streams when the server closes', async () => {
    const other = await startHarness({ executor });
    try {
      await other.call('POST', '/api/v1/projects', { name: 'Closing', baseUrl: 'http://c.test' });
      const t = await other.call('POST', '/api/v1/projects/closing/tests', {
        name: 'block until closed',
        status: 'approved',
        steps: [{ goto: '/' }],
      });
      const run = await other.call('POST', '/api/v1/projects/closing/runs', {
        testIds: [t.body.id],
      });
      const sse = sseReader(
        await fetch(
          `${other.url}/api/v1/projects/closing/runs/${run.body.id}/events`,
          authOf(other),
        ),
      );
      expect((await sse.next())?.event).toBe('run.state');
      await other.close();
      let m = await sse.next();
      while (m && m.comment) m = await sse.next();
      expect(m).toBeNull();
    } finally {
      await other.close().catch(() => {});
    }
  });
});
