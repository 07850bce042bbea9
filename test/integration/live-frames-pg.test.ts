import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/run.ts';
import { openTestStore, TEST_SECRET_KEY, type TestStore } from '../fixtures/engine/test-stores.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { startProcess, urlWithSchema, type ClusterProcess } from '../helpers/cluster.ts';
import { sseReader } from '../helpers/sse.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { until } from '../helpers/until.ts';
import { createAdmin } from './auth-helpers.ts';

// The live view across processes (issue 13): a `greenlight serve` that runs no tests
// (GREENLIGHT_WORKERS=0) and a `greenlight worker`, real CLI processes on one PostgreSQL schema.
// A watcher on the server gets JPEG frames of a slow test the worker runs; when it leaves, the
// worker stops writing frames, and the frame table is empty once the run is over.

/** How long any one wait may take on a loaded machine before the test fails saying what. */
const WAIT_MS = 180_000;
/** Frames the watcher reads before it leaves. */
const FRAMES = 12;

let t: TestStore;
let site: StaticServer;
let dataDir: string;
let listener: pg.Client | null = null;
const procs: ClusterProcess[] = [];
/** The test's page keeps painting until this is true (it polls `/release`): no fixed sleep. */
let released = false;

beforeAll(async () => {
  t = await openTestStore('postgres');
  site = await startStaticServer(resolve('test/fixtures/devices'), {
    'GET /release': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ released }));
    },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'gl-live-pg-'));
});

afterAll(async () => {
  released = true;
  await listener?.end();
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await site?.close();
  await t?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function start(kind: 'serve' | 'worker', env: Record<string, string>) {
  const p = await startProcess(
    kind,
    {
      DATABASE_URL: urlWithSchema(t.databaseUrl, t.schema!),
      GREENLIGHT_DATA_DIR: dataDir,
      GREENLIGHT_SECRET_KEY: TEST_SECRET_KEY.toString('hex'),
      GREENLIGHT_STOP_GRACE_MS: '1000',
      ...env,
    },
    WAIT_MS,
  );
  procs.push(p);
  return p;
}

/** The frame notices the worker sends, heard as any process hears them (ms since start). */
async function listenForFrames(): Promise<{ at: number; seq: number }[]> {
  const heard: { at: number; seq: number }[] = [];
  listener = new pg.Client({ connectionString: t.databaseUrl });
  await listener.connect();
  listener.on('notification', (n) => {
    const m = JSON.parse(n.payload ?? '{}') as { k?: string; s?: number };
    if (m.k === 'frame') heard.push({ at: performance.now(), seq: m.s ?? 0 });
  });
  await listener.query(`listen "greenlight_live:${t.schema!}"`);
  return heard;
}

/** Rows in the frame table and the JPEG bytes they hold. */
async function frameRows(): Promise<{ n: number; bytes: number }> {
  const rows = await t.store.db.selectFrom('live_frames').select('jpeg').execute();
  return { n: rows.length, bytes: rows.reduce((sum, r) => sum + r.jpeg.length, 0) };
}

it('hands a worker’s screencast to a watcher on another process, and stops when it leaves', async () => {
  // One test whose page runs until the test here releases it, so it is surely still running
  // when the watcher has left and the worker is expected to have stopped.
  const project = await t.store.projects.create({
    slug: 'live',
    name: 'Live',
    baseUrl: site.url,
    parallelWorkers: 1,
  });
  const projectId = project.id;
  const doc = parseTestDocument({
    name: 'moving page',
    timeout: 300_000,
    steps: [{ goto: '/slow.html' }, { expect: { visible: { testId: 'done' } }, timeout: 290_000 }],
  });
  await t.store.tests.create(projectId, doc, { source: 'api', status: 'approved' });
  const admin = await createAdmin(t.store);
  const auth = { authorization: `Bearer ${admin.apiKey}` };
  const heard = await listenForFrames();
  const api = await start('serve', { GREENLIGHT_WORKERS: '0' });
  await start('worker', { GREENLIGHT_WORKERS: '1' });

  const created = await fetch(`${api.url}/api/v1/projects/${projectId}/runs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(created.status).toBe(202);
  const runId = ((await created.json()) as { id: string }).id;

  const ctl = new AbortController();
  const res = await fetch(`${api.url}/api/v1/projects/${projectId}/runs/${runId}/live`, {
    headers: auth,
    signal: ctl.signal,
  });
  expect(res.status).toBe(200);
  const sse = sseReader(res, { skip: (m) => !m.event });
  expect(await sse.next()).toMatchObject({ event: 'watching', data: { runId, testId: null } });

  const frames: { at: number; bytes: number }[] = [];
  while (frames.length < FRAMES) {
    const msg = await sse.next();
    if (msg === null) throw new Error(`the stream ended after ${frames.length} frames`);
    if (msg.event !== 'frame') continue;
    const jpeg = Buffer.from(String(msg.data?.data), 'base64');
    // JPEG's start-of-image marker: a real image, not a placeholder.
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(msg.data).toMatchObject({ attempt: 1, mime: 'image/jpeg', at: expect.any(String) });
    frames.push({ at: performance.now(), bytes: jpeg.length });
  }
  const watching = await frameRows();
  expect(watching.n).toBe(1);
  const [first, last] = [frames[0]!, frames.at(-1)!];
  const heardWhileWatched = heard.filter((h) => h.at >= first.at && h.at <= last.at).length;

  // The watcher leaves while the test still runs (it is not released): the worker drops the
  // row and casts no more. A cast left running would keep the row until the page closes.
  ctl.abort();
  await until('the frame row to go', async () => (await frameRows()).n === 0, {
    timeoutMs: WAIT_MS,
  });
  const leftAt = heard.length;
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
  // At most the one write that was under way when the leave arrived; a cast left running
  // would have sent several a second until the page saw the release.
  expect(heard.length - leftAt).toBeLessThanOrEqual(1);
  expect((await frameRows()).n).toBe(0);

  const seconds = (last.at - first.at) / 1000;
  const avgBytes = frames.reduce((n, f) => n + f.bytes, 0) / frames.length;
  const writesPerSecond = heardWhileWatched / seconds;
  console.log(
    `live frames across processes: watcher ${((FRAMES - 1) / seconds).toFixed(2)} frames/s, ` +
      `worker ${writesPerSecond.toFixed(2)} writes/s, ${Math.round(avgBytes)} B per JPEG, ` +
      `${Math.round((writesPerSecond * avgBytes) / 1024)} KiB/s written while watched`,
  );
}, 420_000);
