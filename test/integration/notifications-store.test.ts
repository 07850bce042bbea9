import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { emptyCounts, type Run, type RunStatus } from '../../src/domain/run.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { Notifier } from '../../src/integrations/notifications.ts';
import type { Store } from '../../src/store/connect.ts';
import { dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { useTestStore } from '../helpers/suite-store.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { startReceiver, until, type Receiver } from './callbacks-receiver.ts';

const receivers: Receiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
});

/** A run of one test that finished with `status` at `finishedAt`. */
async function finishedRun(
  store: Store,
  projectId: string,
  status: RunStatus,
  finishedAt: string,
  attempt = 1,
): Promise<Run> {
  const run = makeRun(projectId, ['t1'], {
    status: 'running',
    trigger: { source: 'ci' },
    baseUrl: 'http://a.test',
    createdAt: finishedAt,
    startedAt: finishedAt,
  });
  await store.runs.create(run);
  const passed = status === 'passed' ? 1 : 0;
  await store.results.insert(
    projectId,
    makeResult(run.id, 't1', {
      testName: 'checkout',
      status: passed ? 'passed' : 'failed',
      attempt,
      durationMs: 3,
      failedStep: passed ? null : 0,
      error: passed ? null : 'boom',
      startedAt: finishedAt,
      finishedAt,
    }),
  );
  await store.runs.finish(run.id, {
    status,
    error: null,
    counts: { ...emptyCounts(1), passed, failed: 1 - passed },
    finishedAt,
  });
  return (await store.runs.get(null, run.id))!;
}

describe.each(dialects)('notifications on %s', (dialect) => {
  const t = useTestStore(dialect, { each: true });

  it('evaluates each finished run once, finds recoveries and flaky tests, and delivers', async () => {
    const { store } = t;
    const project = await newProject(store);
    const config = loadConfig({}, { allowPrivateUrls: ['loopback'], publicUrl: 'https://gl.test' });
    const r = await startReceiver((got, res) => {
      res.statusCode = 204;
      res.end();
    });
    receivers.push(r);

    // A run that ended before any channel existed is never notified.
    const old = await finishedRun(store, project.id, 'failed', '2001-01-01T00:00:00.000Z');
    await store.notificationChannels.create(project.id, {
      name: 'hook',
      events: ['run.recovered', 'flaky.detected'],
      enabled: true,
      target: { type: 'webhook', config: { url: `${r.url}/n` } },
    });
    const failed = await finishedRun(store, project.id, 'failed', '2999-01-01T00:00:01.000Z');
    const cancelled = await finishedRun(store, project.id, 'cancelled', '2999-01-01T00:00:02.000Z');
    const recovered = await finishedRun(store, project.id, 'passed', '2999-01-01T00:00:03.000Z');
    const flaky = await finishedRun(store, project.id, 'passed', '2999-01-01T00:00:04.000Z', 2);

    const repo = store.notificationChannels;
    expect(await repo.runsAwaitingEvaluation(10)).toEqual([
      failed.id,
      cancelled.id,
      recovered.id,
      flaky.id,
    ]);
    expect(await repo.previousVerdict(project.id, recovered.id, recovered.finishedAt!)).toBe(
      'failed',
    );
    expect(await repo.flakyTests(flaky.id)).toEqual([
      { testId: 't1', testName: 'checkout', attempt: 2 },
    ]);

    const notifier = new Notifier({ store, config });
    expect(await notifier.enqueueForRun(failed.id)).toBe(0); // evaluated: nothing it listens to
    expect(await notifier.enqueueForRun(failed.id)).toBe(0);
    const d = new CallbackDispatcher({
      store,
      events: new InProcessEventBus(),
      config,
      pollIntervalMs: 20,
      kinds: [notifier],
    });
    await d.drain(); // the start-up sweep evaluates the rest
    expect(await repo.runsAwaitingEvaluation(10)).toEqual([]);
    const page = await until(
      () => store.outbox.list(project.id, { limit: 10, offset: 0 }),
      (p) => p.items.length === 2 && p.items.every((x) => x.status === 'delivered'),
    );
    expect(page.items.map((x) => [x.runId, x.event]).sort()).toEqual(
      [
        [recovered.id, 'run.recovered'],
        [flaky.id, 'flaky.detected'],
      ].sort(),
    );
    expect(r.got.map((g) => JSON.parse(g.body).event).sort()).toEqual([
      'flaky.detected',
      'run.recovered',
    ]);
    expect(page.items.some((x) => x.runId === old.id)).toBe(false);
    await d.drain();
    expect(r.got).toHaveLength(2);
  });
});
