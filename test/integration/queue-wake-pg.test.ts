import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/queue/job-queue.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { Store } from '../../src/store/connect.ts';
import { PgBroadcast } from '../../src/store/pg-broadcast.ts';
import { newProject, openTestStore } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { until } from '../helpers/until.ts';

// Two queues on one PostgreSQL schema, each with its own LISTEN connection, stand for two
// processes. Their poll interval is an hour: a claim that resolves was woken by a NOTIFY.
const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp() {
  const t = await openTestStore('postgres');
  cleanups.push(() => t.dispose());
  const queue = async (): Promise<LocalQueue> => {
    const channel = await PgBroadcast.open({
      databaseUrl: t.databaseUrl,
      schema: t.schema!,
      prefix: 'greenlight_jobs',
    });
    const q = new LocalQueue(t.store, { pollIntervalMs: HOUR, wakeChannel: channel });
    cleanups.push(async () => {
      await q.close();
      await channel.close();
    });
    return q;
  };
  return { store: t.store, a: await queue(), b: await queue() };
}

async function queuedRun(store: Store, queue: LocalQueue, n: number, parallelWorkers: number) {
  const p = await newProject(store);
  const testIds = Array.from({ length: n }, (_, i) => `t${i}`);
  const run = makeRun(p.id, testIds, { baseUrl: 'http://x', parallelWorkers });
  await store.transaction(async (tx) => {
    await tx.runs.create(run);
    await queue.enqueue(run, testIds, { tx });
  });
  return run;
}

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

/** Until the queue's claimer has looked, found nothing it may take, and gone to sleep. */
const asleep = (q: LocalQueue) => until('the claimer to sleep', () => q.idleClaimers > 0);

describe('LocalQueue wake-ups across processes (PostgreSQL LISTEN/NOTIFY)', () => {
  it("wakes another process's idle claimer when a job is queued", async () => {
    const { store, a, b } = await setUp();
    // B is asleep before the job exists; only A's announcement can wake it within the hour.
    const claimed = b.claim('w1', signal());
    await asleep(b);
    const run = await queuedRun(store, a, 1, 1);
    const job = await claimed;
    expect(job).toMatchObject({ runId: run.id, testId: 't0', status: 'running' });
    expect(job?.lockedBy?.startsWith(b.id)).toBe(true);
  }, 90_000);

  it('wakes another process when a finished or handed-back job frees a slot of the run', async () => {
    const { store, a, b } = await setUp();
    const run = await queuedRun(store, a, 3, 1);
    const first = await a.claim('w1', signal());
    expect(first?.testId).toBe('t0');
    // The run allows one running job: B waits for A's to end.
    let second: Job | null | undefined;
    const waiting = b.claim('w1', signal()).then((j) => (second = j));
    await asleep(b);
    expect(second).toBeUndefined();
    expect(await a.complete(first!, makeResult(run.id, first!.testId))).toBe(true);
    await waiting;
    expect(second).toMatchObject({ testId: 't1', status: 'running' });

    // A worker that stops hands its job back: the other process takes it without waiting.
    const retaken = a.claim('w2', signal());
    await asleep(a);
    expect(await b.release(second!)).toBe(true);
    expect(await retaken).toMatchObject({ testId: 't1', attempt: 1, status: 'running' });
  }, 90_000);
});
