import type { ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import { Engine } from '../../src/engine/engine.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { doc, newProject, openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { browserPid } from '../helpers/browser-pid.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

// Each engine worker has its own browser process (a lane), so a browser killed mid-test fails
// only the test that was running in it; the other worker's test finishes and passes.

let t: TestStore;
let server: StaticServer;
let pool: BrowserPool;
let engine: Engine;
const held: ServerResponse[] = [];
const release = (): void => {
  for (const res of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>released</title><h1>Released</h1>');
  }
};

beforeAll(async () => {
  t = await openTestStore('sqlite');
  server = await startStaticServer(resolve(import.meta.dirname, '../fixtures/runner'), {
    // Holds every page load until the test releases it.
    'GET /__wait': (_req, res) => void held.push(res),
  });
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  engine = new Engine({
    store: t.store,
    queue: new LocalQueue(t.store, { pollIntervalMs: 50 }),
    events: new InProcessEventBus(),
    executor: chromiumExecutor(pool, t.dir),
    dataDir: t.dir,
    workers: 2,
    stopGraceMs: 1_000,
  });
  await engine.start();
});

afterAll(async () => {
  release();
  await engine?.stop();
  await pool?.close();
  await server?.close();
  await t?.dispose();
});

it('a browser killed mid-test fails only its own test; the next run gets a fresh browser', async () => {
  const project = await newProject(t.store, 2);
  for (const name of ['left', 'right']) {
    const steps = [
      { goto: `/__wait?${name}` },
      { expect: { visible: { role: 'heading', name: 'Released' } } },
    ];
    await t.store.tests.create(project.id, doc(name, { steps, timeout: 30_000 }), {
      source: 'api',
      status: 'approved',
    });
  }
  const run = await engine.createRun(project.id, {
    trigger: { source: 'api' },
    baseUrl: server.url,
    parallelWorkers: 2,
  });
  await server.waitForRequest('/__wait?left', 20_000);
  await server.waitForRequest('/__wait?right', 20_000);

  // Both tests are parked in a page load, each in its own lane's browser process.
  const lanes = [pool.connected('chromium', 0), pool.connected('chromium', 1)];
  expect(lanes.every((b) => b !== null)).toBe(true);
  const [pid0, pid1] = await Promise.all(lanes.map((b) => browserPid(b!)));
  expect(pid0).not.toBe(pid1);

  process.kill(pid0!, 'SIGKILL');
  // The survivor's page may only be answered once the killed lane has disconnected.
  await new Promise<void>((r) => {
    const poll = setInterval(() => {
      if (pool.connected('chromium', 0) === null) {
        clearInterval(poll);
        r();
      }
    }, 50);
  });
  release();

  const done = await engine.waitForRun(run.id, { timeoutMs: 60_000 });
  const results = await t.store.results.listByRun(run.id);
  expect(results.map((r) => r.status).sort()).toEqual(['error', 'passed']);
  const crashed = results.find((r) => r.status === 'error');
  expect(crashed?.error).toMatch(/browser crashed or disconnected during step 1/);
  expect(done.status).toBe('error');
  expect(done).toMatchObject({ passed: 1, errored: 1 });

  // The killed lane launches again for the next run; the untouched lane is still the same process.
  const again = await engine.createRun(project.id, {
    trigger: { source: 'api' },
    baseUrl: server.url,
    parallelWorkers: 2,
  });
  await server.waitForRequest('/__wait?left', 20_000);
  const waitBoth = async (): Promise<void> => {
    while (held.length < 2) await new Promise((r) => setTimeout(r, 50));
  };
  await waitBoth();
  release();
  expect((await engine.waitForRun(again.id, { timeoutMs: 60_000 })).status).toBe('passed');
  const alive = pool.connected('chromium', 1);
  expect(alive && (await browserPid(alive))).toBe(pid1);
}, 120_000);
