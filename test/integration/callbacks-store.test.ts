import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { useTestStore } from '../helpers/suite-store.ts';
import { makeRun } from '../helpers/records.ts';
import { startReceiver, type Receiver } from './callbacks-receiver.ts';

const receivers: Receiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

function queuedRun(projectId: string): Run {
  return makeRun(projectId, ['t1'], { trigger: { source: 'ci' }, baseUrl: 'http://a.test' });
}

describe.each(dialects)('outbox on %s', (dialect) => {
  const t = useTestStore(dialect, { each: true });

  it('enqueues once per callback, only for finished runs, leases and logs attempts', async () => {
    const { store } = t;
    const project = await newProject(store);
    const run = await store.runs.create(queuedRun(project.id));
    const cb = await store.outbox.addCallback({
      projectId: project.id,
      runId: run.id,
      url: 'http://x.test/a',
    });
    const same = await store.outbox.addCallback({
      projectId: project.id,
      runId: run.id,
      url: 'http://x.test/a',
    });
    expect(same.id).toBe(cb.id);
    expect(await store.outbox.callbacksAwaitingDelivery()).toEqual([]);

    await store.runs.finish(run.id, {
      status: 'failed',
      error: '1 of 1 tests failed',
      counts: { total: 1, passed: 0, failed: 1, skipped: 0, errored: 0, flaky: 0, quarantined: 0 },
      finishedAt: new Date().toISOString(),
    });
    expect((await store.outbox.callbacksAwaitingDelivery(run.id)).map((c) => c.id)).toEqual([
      cb.id,
    ]);
    const input = {
      projectId: project.id,
      runId: run.id,
      callbackId: cb.id,
      url: cb.url,
      event: 'run.finished',
      payload: '{}',
    };
    const d = await store.outbox.enqueue(input);
    expect(d?.status).toBe('pending');
    expect(await store.outbox.enqueue(input)).toBeNull(); // the unique index dedups
    expect(await store.outbox.callbacksAwaitingDelivery()).toEqual([]);

    const lease = new Date(Date.now() + 60_000).toISOString();
    const claimed = await store.outbox.claimDue(10, lease);
    expect(claimed.map((c) => c.id)).toEqual([d!.id]);
    expect(await store.outbox.claimDue(10, lease)).toEqual([]); // leased: nobody else takes it
    expect(await store.outbox.nextDueAt()).toBe(lease);

    await store.transaction((tx) =>
      tx.outbox.recordAttempt(
        d!.id,
        {
          attempt: 1,
          startedAt: new Date().toISOString(),
          durationMs: 12,
          statusCode: 500,
          error: 'receiver answered HTTP 500',
        },
        { status: 'failed', nextAttemptAt: new Date().toISOString(), deliveredAt: null },
      ),
    );
    const after = await store.outbox.get(project.id, d!.id);
    expect(after).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 500 });
    expect(await store.outbox.get(randomUUID(), d!.id)).toBeUndefined();
    expect(await store.outbox.attempts(d!.id)).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 500, durationMs: 12 }),
    ]);
    const page = await store.outbox.list(project.id, { status: 'failed', limit: 10, offset: 0 });
    expect(page.total).toBe(1);
  });

  it('delivers through the dispatcher (transactional enqueue) and keeps one secret per project', async () => {
    const { store } = t;
    const events = new InProcessEventBus();
    const project = await newProject(store);
    const s1 = await store.projectSecrets.getOrCreate(project.id, 'glcs_first');
    const s2 = await store.projectSecrets.getOrCreate(project.id, 'glcs_second');
    expect(s2.secret).toBe(s1.secret);
    const r = await startReceiver();
    r.secret = 'glcs_first';
    receivers.push(r);
    const d = new CallbackDispatcher({ store, events, config: { allowPrivateUrls: ['loopback'] } });
    const run = await store.runs.create(queuedRun(project.id));
    await d.registerRunCallback({ projectId: project.id, runId: run.id, url: r.url });
    await store.runs.finish(run.id, {
      status: 'passed',
      error: null,
      counts: { total: 1, passed: 1, failed: 0, skipped: 0, errored: 0, flaky: 0, quarantined: 0 },
      finishedAt: new Date().toISOString(),
    });
    expect(await d.enqueueForRun(run.id)).toBe(1);
    expect(await d.enqueueForRun(run.id)).toBe(0);
    await d.drain();
    expect(r.got).toHaveLength(1);
    expect(r.got[0]?.valid).toBe(true);
    const page = await store.outbox.list(project.id, { limit: 5, offset: 0 });
    expect(page.items[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});
