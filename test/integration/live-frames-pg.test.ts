import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/run.ts';
import { openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { startInCluster, testCluster, type ClusterProcess } from '../helpers/cluster.ts';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { until } from '../helpers/until.ts';
import { createAdmin } from './auth-helpers.ts';

// The live view across processes (issue 13): a `greenlight serve` that runs no tests
// (GREENLIGHT_WORKERS=0) and a `greenlight worker`, real CLI processes on one PostgreSQL schema.
// A watcher on the server gets JPEG frames of a slow test the worker runs; when it leaves, the
// worker stops writing frames, and the frame table is empty once the run is over.

/** How long any one wait may take on a loaded machine before the test fails saying what. */
const WAIT_MS = 180_000;
/**
 * How long a row may outlive its watcher: the 10 s lapse of a dead server's watch and then some,
 * but under the 60 s after which any process sweeps a row, which would hide a row left behind.
 */
const LEAVE_MS = 45_000;
/** Frames the watcher reads before it leaves. */
const FRAMES = 12;

let t: TestStore;
let site: StaticServer;
let dataDir: string;
let listener: pg.Client | null = null;
const procs: ClusterProcess[] = [];
/** The test's page keeps painting until this is true (it polls `/release`): no fixed sleep. */
let released = false;
let projectId: string;
let testId: string;
let auth: { authorization: string };
/** The frame notices the workers send, heard as any process hears them. */
let heard: { at: number; seq: number }[];
/** The API process the watchers use; it runs no tests. */
let api: ClusterProcess;
/** The worker that runs the tests of the first two cases. */
let worker: ClusterProcess;

beforeAll(async () => {
  t = await openTestStore('postgres');
  site = await startStaticServer(resolve('test/fixtures/devices'), {
    'GET /release': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ released }));
    },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'gl-live-pg-'));
  // One test whose page runs until the test here releases it, so it is surely still running
  // when the watcher has left and the worker is expected to have stopped.
  const project = await t.store.projects.create({
    slug: 'live',
    name: 'Live',
    baseUrl: site.url,
    parallelWorkers: 1,
  });
  projectId = project.id;
  const doc = parseTestDocument({
    name: 'moving page',
    timeout: 300_000,
    steps: [{ goto: '/slow.html' }, { expect: { visible: { testId: 'done' } }, timeout: 290_000 }],
  });
  testId = (await t.store.tests.create(projectId, doc, { source: 'api', status: 'approved' })).id;
  const admin = await createAdmin(t.store);
  auth = { authorization: `Bearer ${admin.apiKey}` };
  heard = await listenForFrames();
  [api, worker] = await Promise.all([
    start('serve', { GREENLIGHT_WORKERS: '0' }),
    start('worker', { GREENLIGHT_WORKERS: '1' }),
  ]);
}, WAIT_MS);

afterAll(async () => {
  released = true;
  await listener?.end();
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await site?.close();
  await t?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function start(kind: 'serve' | 'worker', env: Record<string, string>) {
  return startInCluster(kind, testCluster(t, dataDir), { env, procs, timeoutMs: WAIT_MS });
}

async function listenForFrames(): Promise<{ at: number; seq: number }[]> {
  const out: { at: number; seq: number }[] = [];
  listener = new pg.Client({ connectionString: t.databaseUrl });
  await listener.connect();
  listener.on('notification', (n) => {
    const m = JSON.parse(n.payload ?? '{}') as { k?: string; s?: number };
    if (m.k === 'frame') out.push({ at: performance.now(), seq: m.s ?? 0 });
  });
  await listener.query(`listen "greenlight_live:${t.schema!}"`);
  return out;
}

/** Rows in the frame table. */
async function frameRows(): Promise<number> {
  return (await t.store.db.selectFrom('live_frames').select('test_id').execute()).length;
}

/** Queue a run of the one test on an API process; a process that runs tests takes it. */
async function startRun(on = api): Promise<string> {
  released = false;
  const created = await fetch(`${on.url}/api/v1/projects/${projectId}/runs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(created.status).toBe(202);
  return ((await created.json()) as { id: string }).id;
}

/** Open the live view of the run on `on` (a `serve`), past its `watching` event. */
async function watch(on: ClusterProcess, runId: string, only?: string) {
  const ctl = new AbortController();
  const query = only ? `?testId=${only}` : '';
  const res = await fetch(`${on.url}/api/v1/projects/${projectId}/runs/${runId}/live${query}`, {
    headers: auth,
    signal: ctl.signal,
  });
  expect(res.status).toBe(200);
  const sse = sseReader(res, { skip: (m) => !m.event });
  expect(await sse.next()).toMatchObject({ event: 'watching', data: { runId } });
  return { sse, leave: () => ctl.abort() };
}

/** The next frame on the stream, checked to be a real JPEG of the test's first attempt. */
async function nextFrame(sse: {
  next(): Promise<SseMessage | null>;
}): Promise<{ jpeg: Buffer; takenAt: number }> {
  for (;;) {
    const msg = await sse.next();
    if (msg === null) throw new Error('the stream ended before a frame');
    if (msg.event !== 'frame') continue;
    expect(msg.data).toMatchObject({ testId, attempt: 1, mime: 'image/jpeg' });
    const jpeg = Buffer.from(String(msg.data?.data), 'base64');
    // JPEG's start-of-image marker: a real image, not a placeholder.
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    return { jpeg, takenAt: Date.parse(String(msg.data?.at)) };
  }
}

/** Release the test and wait for its run to pass. */
async function finishRun(runId: string): Promise<void> {
  released = true;
  const run = await until(
    'the run to finish',
    async () => {
      const r = await t.store.runs.get(projectId, runId);
      return r && isTerminal(r.status) && r;
    },
    { timeoutMs: WAIT_MS },
  );
  expect(run.status).toBe('passed');
}

it('hands a worker’s screencast to a watcher on another process, and stops when it leaves', async () => {
  const runId = await startRun();
  const { sse, leave } = await watch(api, runId);
  const frames: { at: number; bytes: number; lagMs: number }[] = [];
  while (frames.length < FRAMES) {
    const { jpeg, takenAt } = await nextFrame(sse);
    frames.push({ at: performance.now(), bytes: jpeg.length, lagMs: Date.now() - takenAt });
  }
  expect(await frameRows()).toBe(1);
  // Heap and TOAST with the dead versions of the row that autovacuum has not yet reclaimed.
  const { rows: size } = await sql<{ bytes: string }>`
    select pg_total_relation_size('live_frames') as bytes`.execute(t.store.db);
  const writesThen = heard.length;
  const [first, last] = [frames[0]!, frames.at(-1)!];
  const heardWhileWatched = heard.filter((h) => h.at >= first.at && h.at <= last.at).length;

  // The watcher leaves while the test still runs (it is not released): the worker drops the
  // row and casts no more. A cast left running would keep the row until the page closes.
  leave();
  await until('the frame row to go', async () => (await frameRows()) === 0, {
    timeoutMs: LEAVE_MS,
  });
  const leftAt = heard.length;
  await finishRun(runId);
  // At most the one write that was under way when the leave arrived; a cast left running
  // would have sent several a second until the page saw the release.
  expect(heard.length - leftAt).toBeLessThanOrEqual(1);
  expect(await frameRows()).toBe(0);

  const seconds = (last.at - first.at) / 1000;
  const avgBytes = frames.reduce((n, f) => n + f.bytes, 0) / frames.length;
  const writesPerSecond = heardWhileWatched / seconds;
  const lags = frames.map((f) => f.lagMs).sort((a, b) => a - b);
  console.log(
    `live frames across processes: watcher ${((FRAMES - 1) / seconds).toFixed(2)} frames/s, ` +
      `worker ${writesPerSecond.toFixed(2)} writes/s, ${Math.round(avgBytes)} B per JPEG, ` +
      `${Math.round((writesPerSecond * avgBytes) / 1024)} KiB/s written while watched, ` +
      `table ${Math.round(Number(size[0]?.bytes) / 1024)} KiB after ${writesThen} writes, ` +
      `taken → watcher ${lags[Math.floor(lags.length / 2)]} ms median, ${lags.at(-1)} ms max`,
  );
}, 420_000);

it('stops casting for a server that died once its watch lapses, and casts no test nobody watches', async () => {
  const doomed = await start('serve', { GREENLIGHT_WORKERS: '0' });
  const runId = await startRun();
  // A watcher of another test of the run stays on the API process the whole time: it must not
  // keep the worker casting this test.
  const other = await watch(api, runId, 'another-test');
  const { sse } = await watch(doomed, runId);
  await nextFrame(sse);
  expect(await frameRows()).toBe(1);
  // A server killed with its watcher says nothing more: the worker stops when the last watch
  // it heard lapses (10 s), while the test still runs.
  await doomed.stop('SIGKILL');
  await until('the frame row to go', async () => (await frameRows()) === 0, {
    timeoutMs: LEAVE_MS,
  });
  const leftAt = heard.length;
  await finishRun(runId);
  expect(heard.length - leftAt).toBeLessThanOrEqual(1);
  expect(await other.sse.next()).toMatchObject({ event: 'done', data: { runId } });
  expect(await frameRows()).toBe(0);
}, 420_000);

it('keeps a server’s own tests in memory: its watchers get frames with nothing written', async () => {
  // The last case: the worker goes, so the server started here runs the test itself.
  await worker.stop('SIGTERM');
  const both = await start('serve', { GREENLIGHT_WORKERS: '1' });
  const heardBefore = heard.length;
  const runId = await startRun(both);
  const { sse, leave } = await watch(both, runId);
  for (let i = 0; i < 4; i++) {
    await nextFrame(sse);
    // Its own watch notices are not for its own publisher: the frames go browser → watcher.
    expect(await frameRows()).toBe(0);
  }
  expect(heard.length).toBe(heardBefore);
  leave();
  await finishRun(runId);
  expect(heard.length).toBe(heardBefore);
}, 420_000);
