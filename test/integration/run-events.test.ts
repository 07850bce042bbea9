import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import type { RunEvent } from '../../src/events/event-bus.ts';
import { sseReader } from '../helpers/sse.ts';
import { createMember, createTriggerToken } from './auth-helpers.ts';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';
import { until } from '../helpers/until.ts';

// Tests named `step N` wait until step N is released; `fail …` fails; `block …` waits for abort.
let released = 0;
const waiting = new Set<() => void>();
const abortedSignals: string[] = [];
function release(n: number): void {
  released = Math.max(released, n);
  for (const wake of [...waiting]) wake();
}
const executor: TestExecutor = async (job) => {
  const name = job.test.name;
  const step = /^step (\d+)/.exec(name);
  if (step || name.startsWith('block')) {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (step && released >= Number(step[1])) {
          waiting.delete(check);
          resolve();
        }
      };
      waiting.add(check);
      job.signal.addEventListener(
        'abort',
        () => {
          waiting.delete(check);
          abortedSignals.push(job.test.id);
          reject(new Error('aborted'));
        },
        { once: true },
      );
      check();
    });
  }
  const outcome = await passingExecutor(job);
  if (name.includes('fail')) {
    return { ...outcome, status: 'failed', failedStep: 0, error: 'expected heading "Welcome"' };
  }
  return outcome;
};

interface Msg {
  id: number | null;
  event: string;
  data: Record<string, unknown>;
}

/** Open the run's event stream; read messages one at a time; `close()` drops the connection. */
async function openEvents(
  runId: string,
  headers: Record<string, string>,
  query = '',
): Promise<{ status: number; next(): Promise<Msg | null>; close(): void }> {
  const ctl = new AbortController();
  const res = await fetch(`${h.url}/api/v1/runs/${runId}/events${query}`, {
    headers,
    signal: ctl.signal,
  });
  if (res.status !== 200 || !res.body)
    return { status: res.status, next: async () => null, close() {} };
  const sse = sseReader(res, { skip: (m) => m.comment !== undefined }); // heartbeats
  return {
    status: res.status,
    async next() {
      const m = await sse.next();
      return m && { id: m.id ?? null, event: m.event ?? 'message', data: m.data ?? {} };
    },
    close: () => ctl.abort(),
  };
}

let h: Harness;
let auth: Record<string, string>;
let projectId: string;
const P = '/api/v1/projects/live';

async function addTest(name: string, tags: string[]): Promise<void> {
  const res = await h.call('POST', `${P}/tests`, {
    name,
    tags,
    status: 'approved',
    steps: [{ goto: '/' }],
  });
  expect(res.status).toBe(201);
}

async function startRun(tag: string): Promise<string> {
  const res = await h.call('POST', `${P}/runs`, { tags: [tag], parallelWorkers: 1 });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

beforeAll(async () => {
  h = await startHarness({
    executor,
    sseHeartbeatMs: 100,
    config: { allowPrivateUrls: ['loopback'] },
  });
  auth = { authorization: `Bearer ${h.admin.apiKey}` };
  const p = await h.call('POST', '/api/v1/projects', {
    name: 'Live',
    slug: 'live',
    baseUrl: 'http://127.0.0.1:9',
  });
  expect(p.status).toBe(201);
  projectId = p.body.id as string;
  for (const n of [1, 2, 3, 4]) await addTest(`step ${n}${n === 3 ? ' fail' : ''}`, ['steps']);
  await addTest('block a', ['block']);
  await addTest('block b', ['block']);
  await addTest('quick', ['quick']);
});
afterAll(async () => {
  release(1000);
  await h?.close();
});

describe('GET /api/v1/runs/:runId/events', () => {
  it('streams ordered, numbered events and resumes with Last-Event-ID without loss', async () => {
    const runId = await startRun('steps');
    const first = await openEvents(runId, auth);
    expect(first.status).toBe(200);
    const got: Msg[] = [];
    const readUntil = async (s: typeof first, stop: (m: Msg) => boolean): Promise<void> => {
      for (;;) {
        const m = await s.next();
        if (!m) throw new Error('stream ended early');
        got.push(m);
        if (stop(m)) return;
      }
    };
    await readUntil(first, (m) => m.event === 'snapshot');
    expect(got[0]?.event).toBe('snapshot');
    release(1);
    await readUntil(first, (m) => m.event === 'result');
    first.close();
    await until('the client to be gone', () => h.runStream.listenerCount(runId) === 0);

    // Missed while disconnected: steps 2 and 3 (3 fails).
    release(3);
    await until('3 results', async () => (await h.store.results.listByRun(runId)).length === 3);
    const lastId = got[got.length - 1]!.id!;
    const second = await openEvents(runId, { ...auth, 'last-event-id': String(lastId) });
    const resumedAt = got.length;
    await readUntil(second, (m) => m.event === 'result' && m.data.testName === 'step 3 fail');
    expect(got[resumedAt]?.id).toBe(lastId + 1); // exactly the events missed, from the log
    release(4);
    await readUntil(second, (m) => m.event === 'done');
    expect(await second.next()).toBeNull(); // the server ends the stream after done

    const ids = got.map((m) => m.id!);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1); // no gap, no repeat
    const resultEvents = got.filter((m) => m.event === 'result');
    const stored = await h.store.results.listByRun(runId);
    expect(resultEvents.map((m) => m.data.testId).sort()).toEqual(
      stored.map((r) => r.testId).sort(),
    );
    const failed = resultEvents.find((m) => m.data.status === 'failed');
    expect(failed?.data).toMatchObject({
      testName: 'step 3 fail',
      error: 'expected heading "Welcome"',
    });
    expect(typeof failed?.data.durationMs).toBe('number');
    expect(
      got.some((m) => m.event === 'log' && String(m.data.message).includes('started step 2')),
    ).toBe(true);
    const snapshots = got.filter((m) => m.event === 'snapshot');
    const lastSnap = snapshots[snapshots.length - 1]!.data as {
      run: { passed: number };
      results: unknown[];
    };
    expect(lastSnap.results).toHaveLength(4);
    expect(lastSnap.run.passed).toBe(3);
    const done = got[got.length - 1]!;
    expect(done.data).toMatchObject({
      runId,
      status: 'failed',
      runStatus: 'failed',
      passed: 3,
      failed: 1,
      total: 4,
    });

    // Resume from an id the log never gave (a client of another server, of the version that
    // numbered events per process): a snapshot first, then the end.
    const old = await openEvents(runId, auth, `?lastEventId=${done.id! + 1000}`);
    const a = await old.next();
    expect(a?.event).toBe('snapshot');
    expect((a?.data.results as unknown[]).length).toBe(4);
    expect((await old.next())?.event).toBe('done');
    expect(await old.next()).toBeNull();
    // Resume after `done`: nothing more will come, and 204 stops EventSource from retrying.
    const after = await openEvents(runId, { ...auth, 'last-event-id': String(done.id) });
    expect(after.status).toBe(204);
  });

  it('a client that goes away leaves no listener behind; heartbeats keep the stream open', async () => {
    const runId = await startRun('block');
    const s = await openEvents(runId, auth);
    const block = await fetch(`${h.url}/api/v1/runs/${runId}/events`, { headers: auth });
    const raw = block.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += (await raw.read()).value ?? '';
    await raw.cancel();
    expect((await s.next())?.event).toBe('snapshot');
    expect(h.runStream.listenerCount(runId)).toBeGreaterThanOrEqual(1);
    expect(h.events.listenerCount(runId)).toBe(0); // one shared log, no bus listener per client
    s.close();
    await until('no listener', () => h.runStream.listenerCount(runId) === 0);
    await h.engine.cancelRun(projectId, runId);
  });

  it('answers 401 anonymous, 404 unknown, 403 for another project’s token', async () => {
    const runId = await startRun('quick');
    await h.engine.waitForRun(runId, { timeoutMs: 10_000 });
    expect((await openEvents(runId, {})).status).toBe(401);
    expect((await openEvents('nope', auth)).status).toBe(404);
    const other = await h.call('POST', '/api/v1/projects', {
      name: 'Other',
      slug: 'other',
      baseUrl: 'http://127.0.0.1:9',
    });
    const otherToken = await createTriggerToken(h.store, other.body.id as string);
    expect((await openEvents(runId, { authorization: `Bearer ${otherToken}` })).status).toBe(403);
    const token = await createTriggerToken(h.store, projectId);
    const s = await openEvents(runId, { authorization: `Bearer ${token}` });
    expect((await s.next())?.event).toBe('snapshot');
    expect((await s.next())?.data).toMatchObject({ status: 'completed' });
    const ci = await h.call('GET', `/api/v1/runs/${runId}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(ci.body).toMatchObject({ runId, status: 'completed', passed: 1, total: 1 });
    const results = await h.call('GET', `/api/v1/runs/${runId}/results`, undefined, {
      'x-api-key': token,
    });
    expect(results.body.items).toHaveLength(1);
  });
});

describe('POST /api/v1/runs/:runId/abort', () => {
  it('stops running tests within seconds, ends the run aborted with the reason, and streams done', async () => {
    const runId = await startRun('block');
    const finished: RunEvent[] = [];
    const off = h.events.subscribe(runId, (e) => e.type === 'run.finished' && finished.push(e));
    const s = await openEvents(runId, auth);
    expect((await s.next())?.event).toBe('snapshot');
    await until(
      'a test to start',
      async () => (await h.store.runs.get(null, runId))?.status === 'running',
    );

    const viewer = await createMember(h.store, { role: 'viewer' });
    const denied = await h.call(
      'POST',
      `/api/v1/runs/${runId}/abort`,
      {},
      { authorization: `Bearer ${viewer.apiKey}` },
    );
    errorBody(denied, 403, 'forbidden');

    const token = await createTriggerToken(h.store, projectId);
    const started = Date.now();
    const res = await h.call(
      'POST',
      `/api/v1/runs/${runId}/abort`,
      { reason: 'deploy rolled back' },
      {
        authorization: `Bearer ${token}`,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ runId, status: 'aborted', runStatus: 'cancelled' });
    expect(res.body.error).toContain('deploy rolled back');
    let m: Msg | null;
    while ((m = await s.next()) && m.event !== 'done');
    expect(m?.data).toMatchObject({ status: 'aborted' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await until('the executor to see the abort', () => abortedSignals.length >= 1);
    expect(finished).toHaveLength(1); // callbacks listen to run.finished
    expect(finished[0]).toMatchObject({ status: 'cancelled' });
    off();
    // Aborting a finished run returns it unchanged; with no body at all as well.
    const again = await h.call('POST', `/api/v1/runs/${runId}/abort`, undefined, auth);
    expect(again.body).toMatchObject({ status: 'aborted' });
  });
});
