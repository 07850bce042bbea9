import { beforeEach, describe, expect, it } from 'vitest';
import type { TestResult } from '../../src/domain/run.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { Job } from '../../src/queue/job-queue.ts';
import type { Store } from '../../src/store/connect.ts';
import { dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { useTestStore } from '../helpers/suite-store.ts';

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

function resultFor(job: Job): TestResult {
  return makeResult(job.runId, job.testId, { attempt: job.attempt });
}

const signal = (): AbortSignal => AbortSignal.timeout(10_000);

describe.each(dialects)('LocalQueue on %s', (dialect) => {
  const t = useTestStore(dialect, { each: true });
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('hands out jobs in plan order within the run parallelism limit', async () => {
    // A long poll interval proves completions wake waiting claimers directly.
    const queue = new LocalQueue(store, { pollIntervalMs: 60_000 });
    const run = await queuedRun(store, queue, 4, 2);
    const a = await queue.claim('w1', signal());
    const b = await queue.claim('w2', signal());
    expect([a?.testId, b?.testId]).toEqual(['t0', 't1']);
    expect(a).toMatchObject({ status: 'running', attempt: 1 });

    let third: Job | null | undefined;
    const waiting = queue.claim('w3', signal()).then((j) => (third = j));
    await new Promise((r) => setTimeout(r, 50));
    expect(third).toBeUndefined();
    expect(await queue.hasPending(run.id)).toBe(true);

    expect(await queue.complete(a!, resultFor(a!))).toBe(true);
    await waiting;
    expect(third?.testId).toBe('t2');
    expect(await queue.hasPending(run.id)).toBe(true);
    expect(await store.results.listByRun(run.id)).toHaveLength(1);
    await queue.close();
  });

  it('serves another run while one is at its limit', async () => {
    const queue = new LocalQueue(store);
    const first = await queuedRun(store, queue, 3, 1);
    const second = await queuedRun(store, queue, 1, 1);
    const a = await queue.claim('w1', signal());
    const b = await queue.claim('w2', signal());
    expect(a?.runId).toBe(first.id);
    expect(b?.runId).toBe(second.id);
  });

  it('wakes a waiting claimer on enqueue without polling', async () => {
    const queue = new LocalQueue(store, { pollIntervalMs: 60_000 });
    const started = Date.now();
    const claimed = queue.claim('w1', signal());
    await new Promise((r) => setTimeout(r, 20));
    await queuedRun(store, queue, 1, 1);
    expect((await claimed)?.testId).toBe('t0');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('writes nothing when completing a job whose lock was lost', async () => {
    const queue = new LocalQueue(store, { leaseMs: 40 });
    const run = await queuedRun(store, queue, 1, 1);
    const job = (await queue.claim('w1', signal()))!;
    // Our heartbeat stops (as if we hung) and the lease runs out; another process takes it.
    await queue.close();
    await new Promise((r) => setTimeout(r, 60));
    const other = new LocalQueue(store);
    const [recovered] = await other.recover();
    expect(recovered).toMatchObject({ id: job.id, status: 'queued', attempt: 2 });
    const again = (await other.claim('w9', signal()))!;
    expect(again.id).toBe(job.id);
    expect(await queue.complete(job, resultFor(job))).toBe(false);
    expect(await store.results.listByRun(run.id)).toEqual([]);
    expect(await other.complete(again, resultFor(again))).toBe(true);
    expect((await store.results.listByRun(run.id))[0]?.attempt).toBe(2);
    expect(await queue.hasPending(run.id)).toBe(false);
  });

  it("writes a completion's extra work with it, or nothing of either when that work fails", async () => {
    const queue = new LocalQueue(store);
    const run = await queuedRun(store, queue, 2, 2);
    const a = (await queue.claim('w1', signal()))!;
    const line = { type: 'log' as const, data: { message: 'x', at: new Date().toISOString() } };
    await expect(
      queue.complete(a, resultFor(a), async (tx) => {
        await tx.runStreamEvents.append(run.id, run.projectId, [line]);
        throw new Error('the stream log could not be written');
      }),
    ).rejects.toThrow(/stream log/);
    // Rolled back whole: no result, no log line, and the job still ours to complete.
    expect(await store.results.listByRun(run.id)).toEqual([]);
    expect(await store.runStreamEvents.lastId(run.id)).toBe(0);
    expect(
      await queue.complete(a, resultFor(a), async (tx) => {
        await tx.runStreamEvents.append(run.id, run.projectId, [line]);
      }),
    ).toBe(true);
    expect(await store.results.listByRun(run.id)).toHaveLength(1);
    expect(await store.runStreamEvents.lastId(run.id)).toBe(1);
    // Not called when the job is no longer ours.
    let called = false;
    expect(
      await queue.complete(a, resultFor(a), async () => {
        called = true;
      }),
    ).toBe(false);
    expect(called).toBe(false);
    await queue.close();
  });

  it('retries after a delay, releases, discards and cancels', async () => {
    // No polling: the due retry must wake its claimer by itself.
    const queue = new LocalQueue(store, { pollIntervalMs: 60_000 });
    const run = await queuedRun(store, queue, 3, 3);
    const a = (await queue.claim('w1', signal()))!;
    const before = Date.now();
    expect(await queue.retry(a, { delayMs: 300, error: 'flaky infra' })).toBe(true);
    const b = (await queue.claim('w2', signal()))!;
    expect(b.testId).toBe('t1');
    expect(await queue.release(b)).toBe(true);
    const b2 = (await queue.claim('w2', signal()))!;
    expect(b2).toMatchObject({ testId: 't1', attempt: 1 });
    const c = (await queue.claim('w3', signal()))!;
    expect(c.testId).toBe('t2');
    const a2 = (await queue.claim('w1', signal()))!;
    expect(a2).toMatchObject({ testId: 't0', attempt: 2, lastError: 'flaky infra' });
    expect(Date.now() - before).toBeGreaterThanOrEqual(250);
    await queue.discard(c);
    expect(await queue.hasPending(run.id)).toBe(true);

    const other = await queuedRun(store, queue, 3, 1);
    await queue.claim('w4', signal());
    expect(await queue.cancelRun(other.id)).toBe(2);
    expect(await queue.hasPending(other.id)).toBe(true);
  });

  it('deletes the jobs of runs finished long enough ago, and nothing else', async () => {
    let now = new Date('2026-06-01T10:00:00Z');
    const queue = new LocalQueue(store, { clock: () => now, keepFinishedJobsMs: 60_000 });
    const done = await queuedRun(store, queue, 3, 3);
    const live = await queuedRun(store, queue, 2, 1);
    const counts = {
      total: 3,
      passed: 0,
      failed: 0,
      skipped: 0,
      errored: 0,
      flaky: 0,
      quarantined: 0,
    };
    await store.runs.finish(done.id, {
      status: 'cancelled',
      error: null,
      counts,
      finishedAt: now.toISOString(),
    });
    // Finished, but not long enough ago.
    expect(await queue.purgeFinished()).toBe(0);
    now = new Date(now.getTime() + 61_000);
    expect(await queue.purgeFinished()).toBe(3);
    expect(await store.jobs.listByRun(done.id)).toEqual([]);
    expect(await store.jobs.listByRun(live.id)).toHaveLength(2);
    expect(await queue.purgeFinished()).toBe(0);
  });

  it("leaves a live holder's running job alone and takes it over once its lease expires", async () => {
    const queue = new LocalQueue(store, { leaseMs: 150 });
    const run = await queuedRun(store, queue, 2, 2);
    const job = (await queue.claim('w1', signal()))!;
    expect(job.leaseUntil).not.toBeNull();
    // A second process starting up (greenlight run beside serve) must not requeue it, however
    // many leases long the job runs: the heartbeat keeps it ours.
    const other = new LocalQueue(store, { leaseMs: 150 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(await other.recover()).toEqual([]);
    }
    const next = (await other.claim('w2', signal()))!;
    expect(next.testId).toBe('t1');
    expect(await queue.complete(job, resultFor(job))).toBe(true);
    // The other process dies holding its job: once the lease is gone, we take it over.
    await other.close();
    expect(await queue.recover()).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    const again = (await queue.claim('w1', signal()))!;
    expect(again).toMatchObject({ id: next.id, attempt: 2 });
    expect(await other.complete(next, resultFor(next))).toBe(false);
    expect(await queue.complete(again, resultFor(again))).toBe(true);
    expect((await store.results.listByRun(run.id)).map((r) => r.testId).sort()).toEqual([
      't0',
      't1',
    ]);
    await queue.close();
  });

  it('never exceeds the limit with many concurrent claimers on two queues', async () => {
    const q1 = new LocalQueue(store, { pollIntervalMs: 10 });
    const q2 = new LocalQueue(store, { pollIntervalMs: 10 });
    const run = await queuedRun(store, q1, 12, 3);
    let running = 0;
    let max = 0;
    const worker = async (q: LocalQueue, id: string): Promise<void> => {
      for (;;) {
        if (!(await q.hasPending(run.id))) return;
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), 200);
        const job = await q.claim(id, ctl.signal);
        clearTimeout(timer);
        if (!job) continue;
        running++;
        max = Math.max(max, running);
        await new Promise((r) => setTimeout(r, 5));
        expect(await q.complete(job, resultFor(job))).toBe(true);
        running--;
      }
    };
    await Promise.all([
      worker(q1, 'a'),
      worker(q1, 'b'),
      worker(q1, 'c'),
      worker(q2, 'd'),
      worker(q2, 'e'),
      worker(q2, 'f'),
    ]);
    expect(max).toBeLessThanOrEqual(3);
    expect(await store.results.listByRun(run.id)).toHaveLength(12);
  });
});
