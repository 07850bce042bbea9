import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { launchCounts } from '../../src/browser/launch-count.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import { Engine } from '../../src/engine/engine.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { doc, newProject, openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

// A run uses as many browsers as tests it runs at once, not one per worker of the server (a
// 1-worker run on a 4-worker server held 4 browsers), and a browser left idle is closed.

let t: TestStore;
let server: StaticServer;
let pool: BrowserPool;
let engine: Engine;

const launched = (): number =>
  launchCounts()
    .filter((c) => c.browser === 'chromium')
    .reduce((n, c) => n + c.count, 0);

beforeAll(async () => {
  t = await openTestStore('sqlite');
  server = await startStaticServer(resolve(import.meta.dirname, '../fixtures/runner'));
  pool = new BrowserPool({ chromiumPath: null, browserWs: null, idleCloseMs: 1_000 });
  engine = new Engine({
    store: t.store,
    queue: new LocalQueue(t.store, { pollIntervalMs: 50 }),
    events: new InProcessEventBus(),
    executor: chromiumExecutor(pool, t.dir),
    dataDir: t.dir,
    workers: 4,
    stopGraceMs: 1_000,
  });
  await engine.start();
});

afterAll(async () => {
  await engine?.stop();
  await pool?.close();
  await server?.close();
  await t?.dispose();
});

it('a run with parallelWorkers 1 on a 4-worker engine uses one browser, closed once idle', async () => {
  const project = await newProject(t.store, 1);
  await t.store.projects.update(project.id, { baseUrl: server.url });
  for (let i = 0; i < 4; i++) {
    await t.store.tests.create(project.id, doc(`page ${i}`), { source: 'api', status: 'approved' });
  }
  const before = launched();
  const run = await engine.createRun(project.id, { trigger: { source: 'api' } });
  const done = await engine.waitForRun(run.id, { timeoutMs: 60_000 });
  expect(done).toMatchObject({ status: 'passed', passed: 4 });
  expect(launched() - before).toBe(1);
  expect(pool.connected('chromium', 0)).not.toBeNull();
  expect(pool.connected('chromium', 1)).toBeNull();
  // Idle for longer than idleCloseMs: the browser goes, and the next test starts a new one.
  await vi.waitFor(() => expect(pool.connected('chromium', 0)).toBeNull(), {
    timeout: 15_000,
    interval: 100,
  });
  const again = await engine.createRun(project.id, { trigger: { source: 'api' } });
  expect(await engine.waitForRun(again.id, { timeoutMs: 60_000 })).toMatchObject({
    status: 'passed',
  });
  expect(launched() - before).toBe(2);
}, 120_000);

it('closeIdle closes the browsers no test is using at once; the next test launches again', async () => {
  const project = await newProject(t.store, 2);
  await t.store.projects.update(project.id, { baseUrl: server.url });
  await t.store.tests.create(project.id, doc('only'), { source: 'api', status: 'approved' });
  const run = await engine.createRun(project.id, { trigger: { source: 'api' } });
  await engine.waitForRun(run.id, { timeoutMs: 60_000 });
  expect(pool.connected('chromium', 0)).not.toBeNull();
  await pool.closeIdle();
  expect(pool.connected('chromium', 0)).toBeNull();
  const before = launched();
  const again = await engine.createRun(project.id, { trigger: { source: 'api' } });
  expect(await engine.waitForRun(again.id, { timeoutMs: 60_000 })).toMatchObject({
    status: 'passed',
  });
  expect(launched() - before).toBe(1);
}, 120_000);
