import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Run, RunStatus } from '../../src/domain/run.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { Notifier } from '../../src/integrations/notifications.ts';
import type { Store } from '../../src/store/connect.ts';
import {
  dialects,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';
import { startReceiver, until, type Receiver } from './callbacks-receiver.ts';

const opened: TestStore[] = [];
const receivers: Receiver[] = [];
afterAll(async () => {
  for (const r of receivers) await r.close();
  for (const t of opened) await t.dispose();
});

/** A run of one test that finished with `status` at `finishedAt`. */
async function finishedRun(
  store: Store,
  projectId: string,
  status: RunStatus,
  finishedAt: string,
  attempt = 1,
): Promise<Run> {
  const run: Run = {
    id: randomUUID(),
    projectId,
    status: 'running',
    trigger: { source: 'ci' },
    selection: {},
    testIds: ['t1'],
    baseUrl: 'http://a.test',
    environment: null,
    parallelWorkers: 1,
    error: null,
    total: 1,
    passed: 0,
    failed: 0,
    skipped: 0,
    errored: 0,
    flaky: 0,
    quarantined: 0,
    createdAt: finishedAt,
    startedAt: finishedAt,
    finishedAt: null,
  };
  await store.runs.create(run);
  const passed = status === 'passed' ? 1 : 0;
  await store.results.insert(projectId, {
    id: randomUUID(),
    runId: run.id,
    testId: 't1',
    testName: 'checkout',
    status: passed ? 'passed' : 'failed',
    attempt,
    durationMs: 3,
    failedStep: passed ? null : 0,
    error: passed ? null : 'boom',
    steps: [],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: finishedAt,
    finishedAt,
  });
  await store.runs.finish(run.id, {
    status,
    error: null,
    counts: {
      total: 1,
      passed,
      failed: 1 - passed,
      skipped: 0,
      errored: 0,
      flaky: 0,
      quarantined: 0,
    },
    finishedAt,
  });
  return (await store.runs.get(null, run.id))!;
}

describe.each(dialects)('notifications on %s', (dialect) => {
  it('evaluates each finished run once, finds recoveries and flaky tests, and delivers', async () => {
    const t = await openTestStore(dialect);
    opened.push(t);
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
