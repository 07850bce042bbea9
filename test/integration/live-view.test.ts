import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import { LiveView } from '../../src/engine/live-view.ts';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { authOf, errorBody, startHarness, type Harness } from './api-harness.ts';
import { until } from '../helpers/until.ts';

// The live view end to end: a real server, real Chromium running a page that keeps painting
// until the test releases it, and an SSE client reading `frame` events.

const dataDir = mkdtempSync(join(tmpdir(), 'gl-live-'));
const live = new LiveView();
let pool: BrowserPool;
let site: StaticServer;
let h: Harness;
let released = false;
const P = '/api/v1/projects/live';

beforeAll(async () => {
  site = await startStaticServer(resolve('test/fixtures/devices'), {
    'GET /release': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ released }));
    },
  });
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  h = await startHarness({
    executor: chromiumExecutor(pool, dataDir, live),
    live,
    config: { allowPrivateUrls: ['loopback'] },
  });
  expect(
    (await h.call('POST', '/api/v1/projects', { name: 'Live', baseUrl: site.url })).status,
  ).toBe(201);
  expect(
    (await h.call('POST', '/api/v1/projects', { name: 'Other', baseUrl: site.url })).status,
  ).toBe(201);
  const test = await h.call('POST', `${P}/tests`, {
    name: 'moving page',
    status: 'approved',
    steps: [{ goto: '/slow.html' }, { expect: { visible: { testId: 'done' } }, timeout: 55_000 }],
  });
  expect(test.status).toBe(201);
});
afterAll(async () => {
  released = true;
  await h?.close();
  await pool?.close();
  await site?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Named events only: heartbeat comments are skipped. */
const eventReader = (res: Response) => sseReader(res, { skip: (m) => !m.event });

/** Poll a condition on our own state (bounded); the machine is loaded, so no fixed sleeps. */
/** Read until an event of this name; a stream that ends first fails the test, never spins. */
async function nextEvent(sse: { next(): Promise<SseMessage | null> }, name: string) {
  const seen: string[] = [];
  for (;;) {
    const msg = await sse.next();
    if (msg === null)
      throw new Error(`stream ended before a "${name}" event (saw: ${seen.join(', ')})`);
    if (msg.event === name) return msg;
    seen.push(msg.event ?? '?');
  }
}

async function startRun(): Promise<string> {
  released = false;
  const res = await h.call('POST', `${P}/runs`, {});
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function finish(runId: string): Promise<string> {
  released = true;
  const run = await h.engine.waitForRun(runId, { timeoutMs: 60_000 });
  return run.status;
}

describe('live view', () => {
  it('streams JPEG frames while a client watches, and stops the screencast when it leaves', async () => {
    const runId = await startRun();
    const ac = new AbortController();
    const res = await fetch(`${h.url}${P}/runs/${runId}/live`, { ...authOf(h), signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const sse = eventReader(res);
    expect(await sse.next()).toMatchObject({ event: 'watching', data: { runId, testId: null } });
    const frame = await nextEvent(sse, 'frame');
    expect(frame.data).toMatchObject({ attempt: 1, mime: 'image/jpeg', at: expect.any(String) });
    expect(typeof frame.data?.testId).toBe('string');
    const jpeg = Buffer.from(String(frame.data?.data), 'base64');
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(live.activeScreencasts).toBe(1);

    ac.abort();
    // The test is still running (not released), yet with nobody watching the cast stops.
    await until('the screencast to stop', () => live.activeScreencasts === 0);
    expect(live.pageCount(runId)).toBe(1);
    expect(live.watcherCount(runId)).toBe(0);
    expect(await finish(runId)).toBe('passed');
    expect(live.pageCount(runId)).toBe(0);
  });

  it('starts no screencast for a run nobody watches', async () => {
    const before = live.startedScreencasts;
    const runId = await startRun();
    await until('the test page to open', () => live.pageCount(runId) === 1);
    expect(await finish(runId)).toBe('passed');
    expect(live.startedScreencasts).toBe(before);
    expect(live.activeScreencasts).toBe(0);
  });

  it('watches one test by testId and ends with `done` when the run ends', async () => {
    const runId = await startRun();
    const testId = (await h.call('GET', `${P}/tests`)).body.items[0].id as string;
    const other = await fetch(`${h.url}${P}/runs/${runId}/live?testId=nope`, authOf(h));
    const otherSse = eventReader(other);
    expect((await otherSse.next())?.event).toBe('watching');
    await until('the test page to open', () => live.pageCount(runId) === 1);
    // Watching another test of the run casts nothing.
    expect(live.activeScreencasts).toBe(0);

    const res = await fetch(`${h.url}${P}/runs/${runId}/live?testId=${testId}`, authOf(h));
    const sse = eventReader(res);
    const frame = await nextEvent(sse, 'frame');
    expect(frame.data?.testId).toBe(testId);
    released = true;
    const done = await nextEvent(sse, 'done');
    expect(done).toMatchObject({ event: 'done', data: { runId, status: 'passed' } });
    expect(await sse.next()).toBeNull();
    const otherEnd = await otherSse.next();
    expect(otherEnd).toMatchObject({ event: 'done' });
    await until('the screencast to stop', () => live.activeScreencasts === 0);
    expect(live.watcherCount(runId)).toBe(0);
  });

  it('ends with `done` when the run ended without its event reaching this server', async () => {
    const runId = await startRun();
    const res = await fetch(`${h.url}${P}/runs/${runId}/live`, authOf(h));
    const sse = eventReader(res);
    expect((await sse.next())?.event).toBe('watching');
    // Ended in the store only, as by a worker killed right after finishing it: no run.finished.
    const counts = {
      total: 1,
      passed: 0,
      failed: 0,
      skipped: 0,
      errored: 1,
      flaky: 0,
      quarantined: 0,
    };
    const ended = { status: 'error' as const, error: 'the worker stopped', counts };
    await h.store.runs.finish(runId, { ...ended, finishedAt: new Date().toISOString() });
    const done = await nextEvent(sse, 'done');
    expect(done).toMatchObject({ event: 'done', data: { runId, status: 'error' } });
    expect(await sse.next()).toBeNull();
    released = true;
    await until('the screencast to stop', () => live.activeScreencasts === 0);
  });

  it('answers 204 for a finished run, 404 from another project, 401 without credentials', async () => {
    const runId = await startRun();
    await finish(runId);
    const done = await fetch(`${h.url}${P}/runs/${runId}/live`, authOf(h));
    expect(done.status).toBe(204);
    errorBody(await h.call('GET', `/api/v1/projects/other/runs/${runId}/live`), 404, 'not_found');
    const anon = await fetch(`${h.url}${P}/runs/${runId}/live`);
    expect(anon.status).toBe(401);
  });
});
