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
  const named = (m: SseMessage | null): m is SseMessage & { event: string } => !!m?.event;

  it('streams the seed protocol (snapshot, heartbeats, log, result, done) from the same log as /runs/:runId/events', async () => {
    await addApproved(A, 'gate one', ['gated']);
    await addApproved(A, 'gate two', ['gated']);
    // One worker: the second test starts after the gate opens, so its start is surely streamed.
    const created = await h.call('POST', `${A}/runs`, { tags: ['gated'], parallelWorkers: 1 });
    const runId = created.body.id as string;
    const res = await fetch(`${h.url}${A}/runs/${runId}/events`, authOf(h));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = sseReader(res);
    const byId = sseReader(await fetch(`${h.url}/api/v1/runs/${runId}/events`, authOf(h)), {
      skip: (m) => m.comment !== undefined,
    });

    const first = await sse.next();
    expect(first).toMatchObject({
      event: 'snapshot',
      data: {
        runId,
        status: 'running',
        run: { id: runId, total: 2 },
        results: [],
        resultsTotal: 0,
      },
    });
    expect(first?.data?.run).not.toHaveProperty('testIds'); // the plan is read once, not streamed

    // Wait for a heartbeat (100 ms here) before letting the tests finish.
    const seen: SseMessage[] = [first!];
    for (let m = await sse.next(); m; m = await sse.next()) {
      seen.push(m);
      if (m.comment === 'heartbeat') break;
    }
    expect(seen.some((m) => m.comment === 'heartbeat')).toBe(true);
    gate.resolve();

    for (let m = await sse.next(); m; m = await sse.next()) seen.push(m);
    const events = seen.filter(named);
    expect(new Set(events.map((m) => m.event))).toEqual(
      new Set(['snapshot', 'log', 'result', 'done']),
    );
    const ids = events.map((m) => m.id!);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    const results = events.filter((m) => m.event === 'result').map((m) => m.data);
    expect(results.map((r) => r?.testName).sort()).toEqual(['gate one', 'gate two']);
    expect(results.every((r) => r?.status === 'passed' && r.runId === runId)).toBe(true);
    // A test's start is a `log` line that names it (the old `test.started`), before its result.
    const start = events.findIndex((m) => m.event === 'log' && m.data?.started === true);
    const started = events[start]!.data!;
    expect(['gate one', 'gate two']).toContain(started.testName);
    const itsResult = events.findIndex(
      (m) => m.event === 'result' && m.data?.testId === started.testId,
    );
    expect(itsResult).toBeGreaterThan(start);
    expect(events.at(-1)).toMatchObject({
      event: 'done',
      data: { runId, status: 'completed', runStatus: 'passed', passed: 2, total: 2 },
    });

    // The run-id mount sent the same events under the same ids: one log, one protocol.
    const other: SseMessage[] = [];
    for (let m = await byId.next(); m; m = await byId.next()) other.push(m);
    const from = Math.max(first!.id!, other[0]!.id!);
    const after = (ms: SseMessage[]): SseMessage[] => ms.filter((m) => m.event && m.id! > from);
    expect(after(events).length).toBeGreaterThanOrEqual(6); // a start, 2 results, 2 snapshots, done
    expect(after(other)).toEqual(after(events));
    gate = newGate();
  });

  it('gives a late subscriber a snapshot and done, resumes from Last-Event-ID, 204 after done', async () => {
    const created = await h.call('POST', `${A}/runs`, { tags: ['smoke'] });
    const runId = created.body.id as string;
    await finished(A, runId);
    const url = `${h.url}${A}/runs/${runId}/events`;
    const skip = (m: SseMessage): boolean => m.comment !== undefined;
    const sse = sseReader(await fetch(url, authOf(h)), { skip });
    expect(await sse.next()).toMatchObject({
      event: 'snapshot',
      data: { run: { status: 'passed' }, results: [{ status: 'passed' }], resultsTotal: 1 },
    });
    const done = await sse.next();
    expect(done).toMatchObject({
      event: 'done',
      data: { runId, status: 'completed', runStatus: 'passed', passed: 1, total: 1 },
    });
    expect(await sse.next()).toBeNull();

    // The log still holds the run's end: exactly the events after the id given.
    const headers = authOf(h).headers as Record<string, string>;
    const resumed = sseReader(await fetch(`${url}?lastEventId=${done!.id! - 2}`, { headers }), {
      skip,
    });
    const tail = [await resumed.next(), await resumed.next()];
    expect(tail.map((m) => [m?.id, m?.event])).toEqual([
      [done!.id! - 1, 'log'],
      [done!.id, 'done'],
    ]);
    expect(tail[0]?.data?.message).toBe('run passed');
    expect(await resumed.next()).toBeNull();
    const end = await fetch(url, { headers: { ...headers, 'last-event-id': String(done!.id) } });
    expect(end.status).toBe(204); // nothing more will come; an EventSource stops retrying
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
      expect((await sse.next())?.event).toBe('snapshot');
      await other.close();
      let m = await sse.next();
      while (m && m.comment) m = await sse.next();
      expect(m).toBeNull();
    } finally {
      await other.close().catch(() => {});
    }
  });
});
