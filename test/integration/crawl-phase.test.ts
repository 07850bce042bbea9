import type { ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// AegisRunner's `crawl: true` (seed 002) as a crawl phase of the run: real Chromium crawls the
// run's base URL before its tests; broken links and pages answering 5xx fail the run as results
// of their own; drafts go to the review queue, not into the run; the status and the event
// stream show the phase. The tests themselves are scripted (their execution is not the point).

const page = (res: ServerResponse, title: string, body: string, status = 200): void => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`);
};

let h: TriggerHarness;
let site: StaticServer;
let clean: StaticServer;
let dir: string;
let token: string;
/** The crawl phase's state each time a test started (tests must wait for the phase). */
const phaseAtTestStart: string[] = [];
let releaseSlow: () => void = () => undefined;
let slowGate = Promise.resolve();

const aegis = () => ({ authorization: `Bearer aegis_${token}` });

/** Hold /slow (and so the crawl) until the returned function is called. */
function closeSlowGate(): () => void {
  let open!: () => void;
  slowGate = new Promise<void>((r) => (open = r));
  releaseSlow = open;
  return open;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-crawl-phase-'));
  site = await startStaticServer(dir, {
    'GET /': (_q, res) =>
      page(
        res,
        'Home',
        '<h1>Home</h1><nav><a href="/ok">OK</a> <a href="/slow">Slow</a></nav>' +
          '<a href="/missing">Gone</a> <a href="/boom">Boom</a>',
      ),
    'GET /ok': (_q, res) =>
      page(
        res,
        'OK',
        '<h1>OK</h1><form><label>Q <input name="q" required></label><button>Go</button></form>',
      ),
    'GET /slow': (_q, res) => void slowGate.then(() => page(res, 'Slow', '<h1>Slow</h1>')),
    'GET /boom': (_q, res) => page(res, 'Oops', '<h1>Server error</h1>', 500),
  });
  clean = await startStaticServer(dir, {
    'GET /': (_q, res) => page(res, 'Clean', '<h1>Clean</h1><a href="/about">About</a>'),
    'GET /about': (_q, res) => page(res, 'About', '<h1>About</h1><a href="/">Home</a>'),
  });
  h = await startTriggerHarness(
    { allowPrivateUrls: ['loopback'] },
    {
      withCrawls: true,
      beforeTest: async (job) => {
        const rc = await h.store.runCrawls.get(job.run.id);
        phaseAtTestStart.push(rc?.status ?? 'none');
      },
    },
  );
  token = (await h.project('shop', ['pass home', 'checkout/pass buy'])).token;
});
afterAll(async () => {
  releaseSlow();
  await h?.close();
  await site?.close();
  await clean?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Attach to a run's event stream; resolves once attached, with the rest of the stream to read. */
async function events(
  runId: string,
  until: (m: SseMessage) => boolean,
): Promise<{ rest: Promise<SseMessage[]> }> {
  const res = await fetch(`${h.url}/api/v1/runs/${runId}/events`, { headers: aegis() });
  const reader = sseReader(res, { skip: (m) => m.event === undefined });
  const first = await reader.next(); // the snapshot: from now on every event reaches us
  const rest = (async () => {
    const seen: SseMessage[] = first ? [first] : [];
    for (;;) {
      const m = await reader.next();
      if (!m) return seen;
      seen.push(m);
      // The server ends the stream after `done`.
      if (until(m)) return seen;
    }
  })();
  return { rest };
}

describe('crawl phase of a run (seed 002 crawl: true)', () => {
  it('crawls the base URL before the tests; broken links and 5xx pages fail the run', async () => {
    const open = closeSlowGate();
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { crawl: true, baseUrl: site.url, githubRepo: 'org/shop', githubPrNumber: 7 },
      aegis(),
    );
    expect(res.status).toBe(202);
    const runId = res.body.runId as string;
    const stream = await events(runId, (m) => m.event === 'done');
    // While /slow holds the crawl, the status shows the phase and no test has started.
    await vi.waitFor(
      async () => {
        const st = await h.call('GET', res.body.statusUrl, undefined, aegis());
        expect([st.body.status, st.body.phase, st.body.crawl?.status]).toEqual([
          'running',
          'crawl',
          'running',
        ]);
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(h.executions.filter((j) => j.run.id === runId)).toEqual([]);
    open();
    const seen = await stream.rest;
    const done = await h.engine.waitForRun(runId);
    expect(done).toMatchObject({ status: 'failed', total: 4, passed: 2, failed: 2 });
    expect(phaseAtTestStart).toEqual(['done', 'done']);

    const results = await h.store.results.listByRun(runId);
    const byId = Object.fromEntries(results.map((r) => [r.testId, r]));
    expect(byId['crawl:broken-links']).toMatchObject({
      status: 'failed',
      testName: 'Crawl: no broken links',
    });
    expect(byId['crawl:broken-links']?.error).toBe(
      `1 broken link: ${site.url}/missing answered 404 (linked from ${site.url}/)`,
    );
    expect(byId['crawl:server-errors']?.error).toBe(
      `1 page answering 5xx: ${site.url}/boom answered 500 (linked from ${site.url}/)`,
    );
    expect(byId['crawl:server-errors']?.failedRequests).toEqual([
      { url: `${site.url}/boom`, method: 'GET', status: 500 },
    ]);

    const st = await h.call('GET', res.body.statusUrl, undefined, aegis());
    expect(st.body).toMatchObject({
      status: 'failed',
      phase: 'finished',
      crawl: { status: 'done', pages: 3, brokenLinks: 1, serverErrors: 1, generated: 0 },
    });
    const crawl = await h.call(
      'GET',
      `/api/v1/projects/shop/crawls/${st.body.crawl.crawlId}`,
      undefined,
      { authorization: `Bearer ${h.admin.apiKey}` },
    );
    expect(crawl.body.status).toBe('done');

    // The event stream: crawl lines marked with the phase, before any test starts.
    const logs = seen.filter((m) => m.event === 'log').map((m) => m.data!);
    const firstTest = logs.findIndex((l) => l.started === true);
    const crawlLines = logs.filter((l) => l.phase === 'crawl').map((l) => String(l.message));
    // (The stream opened after the crawl started: it begins with a snapshot, then live lines.)
    expect(crawlLines).toContain('crawl: 200 /slow');
    expect(crawlLines.at(-1)).toBe('crawl: done, 3 pages, 1 broken link, 1 answering 5xx');
    expect(logs.findIndex((l) => l.message === crawlLines.at(-1))).toBeLessThan(firstTest);
    const resultNames = seen.filter((m) => m.event === 'result').map((m) => m.data!.testName);
    expect(resultNames).toEqual(expect.arrayContaining(['Crawl: no broken links', 'pass home']));
  });

  it('passes on a clean site, and generated drafts wait for review instead of running', async () => {
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { crawl: true, baseUrl: clean.url, wait: true, generateTests: true, fillForms: false },
      aegis(),
    );
    expect([res.status, res.body.status]).toEqual([200, 'passed']);
    expect(res.body).toMatchObject({ total: 4, passed: 4, phase: 'finished' });
    expect(res.body.crawl.generated).toBeGreaterThan(0);
    const drafts = await h.store.tests.list((await h.store.projects.get('shop'))!.id, {
      status: 'draft',
      limit: 100,
      offset: 0,
    });
    expect(drafts.items.length).toBe(res.body.crawl.generated);
    expect(drafts.items.every((t) => t.source === 'crawl' && t.status === 'draft')).toBe(true);
    const ran = h.executions.filter((j) => j.run.id === res.body.runId).map((j) => j.test.name);
    expect(ran.sort()).toEqual(['pass buy', 'pass home']);
    const notes = await h.call(
      'GET',
      `/api/v1/projects/shop/runs/${res.body.runId}/notes`,
      undefined,
      aegis(),
    );
    const text = notes.body.items.map((n: { message: string }) => n.message).join('\n');
    expect(text).toMatch(/draft tests? (was|were) generated from the crawl/);
    expect(text).toMatch(/do not\s+run, in this run or any other, until someone approves them/);
  });

  it('crawlPages re-crawls only those pages', async () => {
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { crawlPages: ['/about'], baseUrl: clean.url, wait: true, caseIds: [] },
      aegis(),
    );
    expect(res.body.status).toBe('passed');
    const crawl = await h.call(
      'GET',
      `/api/v1/projects/shop/crawls/${res.body.crawl.crawlId}?full=1`,
      undefined,
      { authorization: `Bearer ${h.admin.apiKey}` },
    );
    expect(crawl.body.pageList.map((p: { path: string }) => p.path)).toEqual(['/about']);
    expect(res.body.crawl.pages).toBe(1);
  });

  it('runs a crawl alone when the project has no approved test yet', async () => {
    const fresh = await h.project('fresh', []);
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { crawl: true, baseUrl: clean.url, wait: true },
      { authorization: `Bearer aegis_${fresh.token}` },
    );
    expect([res.status, res.body.status, res.body.total, res.body.passed]).toEqual([
      200,
      'passed',
      2,
      2,
    ]);
  });

  it('a run cancelled while it crawls stops its crawl and never starts its tests', async () => {
    const open = closeSlowGate();
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { crawl: true, baseUrl: site.url, githubPrNumber: 8 },
      aegis(),
    );
    const runId = res.body.runId as string;
    await vi.waitFor(
      async () => expect((await h.store.runCrawls.get(runId))?.status).toBe('running'),
      { timeout: 30_000, interval: 100 },
    );
    const abort = await h.call(
      'POST',
      `/api/v1/runs/${runId}/abort`,
      { reason: 'new push' },
      aegis(),
    );
    expect([abort.status, abort.body.status]).toEqual([200, 'aborted']);
    await vi.waitFor(
      async () => expect((await h.store.runCrawls.get(runId))?.status).toBe('cancelled'),
      { timeout: 30_000, interval: 100 },
    );
    open();
    expect(await h.store.results.listByRun(runId)).toEqual([]);
    expect(h.executions.filter((j) => j.run.id === runId)).toEqual([]);
    expect((await h.store.jobs.listByRun(runId)).every((j) => j.status === 'cancelled')).toBe(true);
  });

  it('refuses what it cannot crawl, naming the field', async () => {
    const off = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { crawlPages: ['https://elsewhere.example/x'], baseUrl: clean.url },
      aegis(),
    );
    expect([off.status, off.body.code]).toEqual([400, 'validation_failed']);
    expect(off.body.error).toMatch(/crawlPages/);
    const stray = await h.call('POST', '/api/v1/ci/trigger', { maxPages: 5 }, aegis());
    expect([stray.status, stray.body.code, stray.body.error]).toEqual([
      400,
      'validation_failed',
      '"maxPages" needs "crawl": true (or crawlPages)',
    ]);
  });
});
