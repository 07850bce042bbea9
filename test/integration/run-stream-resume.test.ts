import { afterEach, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { RunLogPrune } from '../../src/engine/run-log-prune.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import {
  addTests,
  dialects,
  newProject,
  openTestStore,
  TEST_SECRET_KEY,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';
import { sseReader } from '../helpers/sse.ts';
import { openSharedBus } from '../helpers/shared-bus.ts';
import { passingExecutor, startTestApi, type TestApi } from '../helpers/test-api.ts';
import { until } from '../helpers/until.ts';
import { createAdmin } from './auth-helpers.ts';

// Resuming a run's event stream with Last-Event-ID where the events were not seen: on another
// API process, and after the process that wrote them was closed and a new one opened.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `step N` tests wait until step N is released. */
function gatedExecutor(): { executor: TestExecutor; release(n: number): void } {
  let released = 0;
  const waiting = new Set<() => void>();
  return {
    release(n) {
      released = Math.max(released, n);
      for (const wake of [...waiting]) wake();
    },
    executor: async (job) => {
      const step = /^step (\d+)/.exec(job.test.name);
      if (step) {
        await new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (released < Number(step[1])) return;
            waiting.delete(check);
            resolve();
          };
          waiting.add(check);
          job.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          check();
        });
      }
      return passingExecutor(job);
    },
  };
}

interface Msg {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** A client of one API: read messages one by one; `close()` drops the connection. */
async function openEvents(url: string, runId: string, headers: Record<string, string>) {
  const ctl = new AbortController();
  const res = await fetch(`${url}/api/v1/runs/${runId}/events`, { headers, signal: ctl.signal });
  cleanups.push(async () => ctl.abort());
  expect(res.status).toBe(200);
  const sse = sseReader(res, { skip: (m) => m.comment !== undefined });
  const got: Msg[] = [];
  return {
    got,
    /** Read until a message matches; returns it. */
    async readUntil(pred: (m: Msg) => boolean): Promise<Msg> {
      for (let i = 0; i < 10_000; i++) {
        const m = await sse.next();
        if (!m) throw new Error(`the stream ended after ${JSON.stringify(got.at(-1))}`);
        const msg = { id: m.id ?? -1, event: m.event ?? 'message', data: m.data ?? {} };
        got.push(msg);
        if (pred(msg)) return msg;
      }
      throw new Error('no such message in 10,000');
    },
    close: () => ctl.abort(),
  };
}

/**
 * A client follows the run until the first test's result, then goes away; `lastId` is the id it
 * would resume from. The snapshot is read before the first test may finish: a result stored
 * before it is read is sent in it, not as a `result`.
 */
async function followUntilFirstResult(
  url: string,
  runId: string,
  headers: Record<string, string>,
  gate: { release(n: number): void },
) {
  const first = await openEvents(url, runId, headers);
  await first.readUntil((m) => m.event === 'snapshot');
  gate.release(1);
  await first.readUntil((m) => m.event === 'result');
  first.close();
  return { first, lastId: first.got.at(-1)!.id };
}

/** Another store (its own pool or SQLite connection) on the test's database. */
async function reopen(t: TestStore): Promise<Store> {
  return openStore({
    databaseUrl: t.databaseUrl,
    ...(t.schema ? { schema: t.schema } : {}),
    secretKey: TEST_SECRET_KEY,
  });
}

/** The run's stored log after `afterId`, as [id, type]. */
async function logAfter(store: Store, runId: string, afterId: number) {
  const rows = await store.runStreamEvents.after(runId, afterId, 10_000);
  return rows.map((r) => [r.id, r.type]);
}

async function setUp(t: TestStore) {
  const p = await newProject(t.store, 1);
  await addTests(t.store, p, ['step 1', 'step 2', 'step 3', 'step 4']);
  const admin = await createAdmin(t.store);
  return { p, auth: { authorization: `Bearer ${admin.apiKey}` } };
}

describe('run stream resume across API processes on PostgreSQL', () => {
  it('a client of process A reconnects to B and gets exactly the events it missed', async () => {
    const t = await openTestStore('postgres');
    cleanups.push(() => t.dispose());
    const { p, auth } = await setUp(t);
    const gate = gatedExecutor();
    // Two processes: own pools, own LISTEN connections, one schema. A executes, B only serves.
    const proc = async (executes: boolean): Promise<TestApi> => {
      const store = await reopen(t);
      cleanups.push(() => store.close());
      const bus = await openSharedBus(t.databaseUrl, t.schema!);
      cleanups.push(() => bus.close());
      const api = await startTestApi({
        store: { store, dir: t.dir, databaseUrl: t.databaseUrl },
        events: bus.events,
        streamChannel: bus.streamChannel,
        executor: gate.executor,
        startEngine: executes,
        workers: 1,
      });
      cleanups.push(() => api.close());
      return api;
    };
    const a = await proc(true);
    const b = await proc(false);
    const run = await a.engine.createRun(p.id, { trigger: { source: 'test' } });

    const { first, lastId } = await followUntilFirstResult(a.url, run.id, auth, gate);

    // Missed while away: steps 2 and 3, with their logs and snapshots.
    gate.release(3);
    await until('3 results in the log', async () => {
      const rows = await logAfter(t.store, run.id, 0);
      return rows.filter(([, type]) => type === 'result').length === 3;
    });
    const second = await openEvents(b.url, run.id, { ...auth, 'last-event-id': String(lastId) });
    await second.readUntil((m) => m.event === 'result' && m.data.testName === 'step 3');
    // No snapshot from the store first: the log's own events, from the one after lastId.
    expect(second.got[0]!.id).toBe(lastId + 1);
    gate.release(4);
    const done = await second.readUntil((m) => m.event === 'done');
    expect(done.data).toMatchObject({ runId: run.id, status: 'completed', passed: 4, total: 4 });

    // Exactly the stored log after lastId, each event once, in order.
    expect(second.got.map((m) => [m.id, m.event])).toEqual(await logAfter(t.store, run.id, lastId));
    const results = [...first.got, ...second.got].filter((m) => m.event === 'result');
    expect(results.map((m) => m.data.testName)).toEqual(['step 1', 'step 2', 'step 3', 'step 4']);
    const snap = second.got.filter((m) => m.event === 'snapshot').at(-1)!;
    expect(snap.data).toMatchObject({ resultsTotal: 4 });
    expect((snap.data.results as unknown[]).length).toBe(4);
  }, 180_000);
});

describe.each(dialects)('run stream resume after a restart on %s', (dialect) => {
  it('replays the missed events from the database; prunes them an hour after the end', async () => {
    const t = await openTestStore(dialect);
    cleanups.push(() => t.dispose());
    const { p, auth } = await setUp(t);
    const gate = gatedExecutor();

    const storeA = await reopen(t);
    const a = await startTestApi({
      store: { store: storeA, dir: t.dir, databaseUrl: t.databaseUrl },
      executor: gate.executor,
      workers: 1,
    });
    const run = await a.engine.createRun(p.id, { trigger: { source: 'test' } });
    const { lastId } = await followUntilFirstResult(a.url, run.id, auth, gate);
    gate.release(4);
    await a.engine.waitForRun(run.id, { timeoutMs: 60_000 });
    // The process that wrote the events goes away; a new one starts on the same database.
    await a.close();
    await storeA.close();

    const storeB = await reopen(t);
    cleanups.push(() => storeB.close());
    const b = await startTestApi({
      store: { store: storeB, dir: t.dir, databaseUrl: t.databaseUrl },
      startEngine: false,
    });
    cleanups.push(() => b.close());
    const second = await openEvents(b.url, run.id, { ...auth, 'last-event-id': String(lastId) });
    await second.readUntil((m) => m.event === 'done');
    expect(second.got[0]!.id).toBe(lastId + 1);
    expect(second.got.map((m) => [m.id, m.event])).toEqual(await logAfter(storeB, run.id, lastId));
    expect(second.got.filter((m) => m.event === 'result').map((m) => m.data.testName)).toEqual([
      'step 2',
      'step 3',
      'step 4',
    ]);

    // Kept for an hour after the end, then pruned: a resume then gets a snapshot.
    const now = Date.now();
    const prune = (ms: number) =>
      new RunLogPrune({ store: storeB, clock: () => new Date(now + ms) });
    const other = await b.engine.createRun(p.id, { trigger: { source: 'test' } });
    // Its `queued` line is written after the run is created, not with it.
    await b.engine.runLog.drain(other.id);
    expect(await prune(30 * 60_000).prune()).toBe(0);
    expect(await prune(2 * 60 * 60_000).prune()).toBeGreaterThan(0);
    expect(await logAfter(storeB, run.id, 0)).toEqual([]);
    expect(await storeB.runStreamEvents.lastId(run.id)).toBe(0);
    // The queued run (never started here) keeps its log until it idles for a day; then its
    // events go but its head stays, so its ids keep rising.
    expect((await logAfter(storeB, other.id, 0)).length).toBeGreaterThan(0);
    const head = await storeB.runStreamEvents.lastId(other.id);
    await prune(25 * 60 * 60_000).prune();
    expect(await logAfter(storeB, other.id, 0)).toEqual([]);
    expect(await storeB.runStreamEvents.lastId(other.id)).toBe(head);
    await b.engine.cancelRun(p.id, other.id);
    await b.engine.runLog.drain(other.id);
    expect((await logAfter(storeB, other.id, 0))[0]?.[0]).toBe(head + 1);

    const third = await openEvents(b.url, run.id, { ...auth, 'last-event-id': String(lastId) });
    const snap = await third.readUntil(() => true);
    expect(snap.event).toBe('snapshot');
    expect(snap.data).toMatchObject({ resultsTotal: 4 });
    expect((await third.readUntil(() => true)).event).toBe('done');
  }, 180_000);
});
