import { afterEach, expect, it } from 'vitest';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { openStore } from '../../src/store/connect.ts';
import { newProject, openTestStore, TEST_SECRET_KEY } from '../fixtures/engine/test-stores.ts';
import { makeRun } from '../helpers/records.ts';
import { startReceiver } from './callbacks-receiver.ts';

// Every `greenlight serve` on one PostgreSQL runs a callback dispatcher. Two of them, each on its
// own connection pool, sweep and deliver the same finished runs at the same moment: each run's
// callback is enqueued once (unique per callback) and POSTed once (the attempt is leased).
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const RUNS = 12;

it('two servers on one PostgreSQL deliver each callback exactly once', async () => {
  const t = await openTestStore('postgres');
  cleanups.push(() => t.dispose());
  const other = await openStore({
    databaseUrl: t.databaseUrl,
    schema: t.schema!,
    secretKey: TEST_SECRET_KEY,
  });
  cleanups.push(() => other.close());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const project = await newProject(t.store);
  receiver.secret = (await t.store.projectSecrets.getOrCreate(project.id, 'glcs_bench')).secret;

  const config = { allowPrivateUrls: ['loopback'] };
  const [a, b] = [t.store, other].map(
    (store) => new CallbackDispatcher({ store, events: new InProcessEventBus(), config }),
  );
  const runIds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await t.store.runs.create(
      makeRun(project.id, ['t1'], { baseUrl: 'http://a.test' }),
    );
    await t.store.outbox.addCallback({ projectId: project.id, runId: run.id, url: receiver.url });
    await t.store.runs.finish(run.id, {
      status: 'passed',
      error: null,
      counts: { total: 1, passed: 1, failed: 0, skipped: 0, errored: 0, flaky: 0, quarantined: 0 },
      finishedAt: new Date().toISOString(),
    });
    runIds.push(run.id);
  }
  // Both find the same missing deliveries and the same due rows at once.
  await Promise.all([a!.drain(), b!.drain()]);

  expect(receiver.got).toHaveLength(RUNS);
  expect(receiver.got.every((g) => g.valid)).toBe(true);
  const page = await t.store.outbox.list(project.id, { limit: 100, offset: 0 });
  expect(page.total).toBe(RUNS);
  expect(new Set(page.items.map((d) => d.runId))).toEqual(new Set(runIds));
  for (const d of page.items) {
    expect(d).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await t.store.outbox.attempts(d.id)).toHaveLength(1);
  }
}, 120_000);
