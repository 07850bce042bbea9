import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';

// Visual regression end to end: real Chromium, real engine and API on SQLite, pages on 127.0.0.1.

const fixtures = new URL('../fixtures/visual', import.meta.url).pathname;
const P = '/api/v1/projects/visual';

let h: Harness;
let site: StaticServer;
let pool: BrowserPool;
let shiftLoads = 0;
const ids: Record<'layout' | 'masked' | 'unmasked', string> = {
  layout: '',
  masked: '',
  unmasked: '',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read as JSON
type Json = any;

beforeAll(async () => {
  const shift = readFileSync(join(fixtures, 'shift.html'), 'utf8');
  site = await startStaticServer(fixtures, {
    // The server switches the layout from the second load on.
    'GET /shift': (_req, res) => {
      shiftLoads++;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(shift.replace('LAYOUT', shiftLoads === 1 ? 'plain' : 'shifted'));
    },
  });
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  // The executor needs the harness's data dir, which exists only once the harness does.
  let run: TestExecutor | null = null;
  h = await startHarness({
    executor: (job) => run!(job),
    config: { allowPrivateUrls: ['loopback'] },
  });
  run = chromiumExecutor(pool, h.config.dataDir);
  const project = await h.call('POST', '/api/v1/projects', {
    name: 'Visual',
    baseUrl: site.url,
  });
  expect(project.status).toBe(201);
  const add = async (name: string, steps: unknown[]): Promise<string> => {
    const res = await h.call('POST', `${P}/tests`, { name, status: 'approved', steps });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  ids.layout = await add('layout', [
    { goto: '/shift' },
    { expect: { visible: { text: 'A card' } } },
    { screenshot: { name: 'home', compare: true } },
  ]);
  ids.masked = await add('clock masked', [
    { goto: '/clock.html' },
    { expect: { text: { locator: '#clock', matches: '^\\d{4}-' } } },
    { screenshot: { name: 'board', compare: { mask: ['#clock'] } } },
  ]);
  ids.unmasked = await add('clock unmasked', [
    { goto: '/clock.html' },
    { expect: { text: { locator: '#clock', matches: '^\\d{4}-' } } },
    { screenshot: { name: 'board', compare: true } },
  ]);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await pool?.close();
  await site?.close();
});

async function runTests(testIds: string[]): Promise<{ run: Json; results: Map<string, Json> }> {
  const res = await h.call('POST', `${P}/runs`, { testIds, parallelWorkers: 1 });
  expect(res.status).toBe(202);
  await h.engine.waitForRun(res.body.id, { timeoutMs: 90_000 });
  const run = (await h.call('GET', `${P}/runs/${res.body.id}`)).body;
  // Read from the store: the results route's serialization is covered by the API's own tests.
  const items: Json[] = await h.store.results.listByRun(res.body.id);
  return { run, results: new Map(items.map((r) => [r.testId, r])) };
}

const file = (rel: string): string => join(h.config.dataDir, rel);
const png = (rel: string): PNG => PNG.sync.read(readFileSync(file(rel)));
const sha = (rel: string): string =>
  createHash('sha256')
    .update(readFileSync(file(rel)))
    .digest('hex');

describe('visual regression', () => {
  let first: Awaited<ReturnType<typeof runTests>>;
  let second: Awaited<ReturnType<typeof runTests>>;

  it('records baselines on the first run and passes', async () => {
    first = await runTests([ids.layout, ids.masked, ids.unmasked]);
    expect(first.run).toMatchObject({ status: 'passed', passed: 3 });
    for (const id of Object.values(ids)) {
      const r = first.results.get(id);
      expect(r.visual).toHaveLength(1);
      expect(r.visual[0]).toMatchObject({ status: 'new', variant: 'chromium-1280x720' });
      expect(existsSync(file(r.visual[0].actual))).toBe(true);
      expect(r.artifacts.screenshots).toContainEqual({
        name: r.visual[0].name,
        path: r.visual[0].actual,
      });
    }
    const list = await h.call('GET', `${P}/baselines`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(3);
    for (const b of list.body.items) {
      expect(b).toMatchObject({ acceptedBy: null, sourceRunId: first.run.id, width: 1280 });
      expect(b.path).toMatch(/^baselines\//);
      expect(sha(b.path)).toBe(b.sha256);
    }
    const one = await h.call('GET', `${P}/baselines?testId=${ids.layout}`);
    expect(one.body.items.map((b: Json) => b.name)).toEqual(['home']);
  }, 120_000);

  it('fails a changed layout with a diff, ignores a masked clock, fails an unmasked one', async () => {
    second = await runTests([ids.layout, ids.masked, ids.unmasked]);
    expect(second.run).toMatchObject({ status: 'failed', passed: 1, failed: 2 });

    const layout = second.results.get(ids.layout);
    expect(layout).toMatchObject({ status: 'failed', failedStep: 2 });
    expect(layout.error).toMatch(/pixels \(\d+\.\d+%\) differ from the baseline.*threshold 0\.1/);
    const check = layout.visual[0];
    expect(check).toMatchObject({
      name: 'home',
      status: 'failed',
      threshold: 0.1,
      maxDiffRatio: 0,
    });
    expect(check.diffPixels).toBeGreaterThan(0);
    expect(check.diffRatio).toBeGreaterThan(0);
    for (const rel of [check.actual, check.expected, check.diff])
      expect(existsSync(file(rel))).toBe(true);
    const diff = png(check.diff);
    expect([diff.width, diff.height]).toEqual([check.width, check.height]);
    // The expected image is the baseline recorded by the first run.
    const baseline = (await h.call('GET', `${P}/baselines?testId=${ids.layout}`)).body.items[0];
    expect(sha(check.expected)).toBe(baseline.sha256);

    const masked = second.results.get(ids.masked);
    expect(masked.status).toBe('passed');
    expect(masked.visual[0]).toMatchObject({ status: 'matched', diffPixels: 0 });

    const unmasked = second.results.get(ids.unmasked);
    expect(unmasked.status).toBe('failed');
    expect(unmasked.visual[0].diffPixels).toBeGreaterThan(0);
  }, 120_000);

  it('refuses bad accept requests with the right status', async () => {
    const accept = (runId: string, body: unknown, headers?: Record<string, string>) =>
      h.call('POST', `${P}/runs/${runId}/visual/accept`, body, headers);
    const runId = second.run.id;
    errorBody(await accept('no-such-run', { testId: ids.layout, name: 'home' }), 404, 'not_found');
    errorBody(await accept(runId, { testId: 'no-such-test', name: 'home' }), 404, 'not_found');
    errorBody(await accept(runId, { testId: ids.layout, name: 'nope' }), 404, 'not_found');
    const matched = errorBody(
      await accept(runId, { testId: ids.masked, name: 'board' }),
      409,
      'conflict',
    );
    expect(matched.error).toMatch(/nothing to accept/);
    errorBody(await accept(runId, { testId: ids.layout }), 400, 'validation_failed');
    const viewer = await createMember(h.store, { role: 'viewer' });
    errorBody(
      await accept(
        runId,
        { testId: ids.layout, name: 'home' },
        { authorization: `Bearer ${viewer.apiKey}` },
      ),
      403,
      'forbidden',
    );
    // Another project's run is not found from this one.
    await h.call('POST', '/api/v1/projects', { name: 'Other', baseUrl: site.url });
    errorBody(
      await h.call('POST', `/api/v1/projects/other/runs/${runId}/visual/accept`, {
        testId: ids.layout,
        name: 'home',
      }),
      404,
      'not_found',
    );
  });

  it('accepts the new image as the baseline, and the next run passes', async () => {
    const check = second.results.get(ids.layout).visual[0];
    const res = await h.call('POST', `${P}/runs/${second.run.id}/visual/accept`, {
      testId: ids.layout,
      name: 'home',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      testId: ids.layout,
      name: 'home',
      variant: 'chromium-1280x720',
      acceptedBy: h.admin.email,
      sourceRunId: second.run.id,
      sha256: sha(check.actual),
    });
    expect(existsSync(file(res.body.path))).toBe(true);

    const third = await runTests([ids.layout]);
    expect(third.run).toMatchObject({ status: 'passed', passed: 1 });
    expect(third.results.get(ids.layout).visual[0]).toMatchObject({ status: 'matched' });
  }, 120_000);

  it('deletes a baseline and its image; the next run records a new one', async () => {
    const list = (await h.call('GET', `${P}/baselines?testId=${ids.unmasked}`)).body.items;
    expect(list).toHaveLength(1);
    const del = await h.call('DELETE', `${P}/baselines/${list[0].id}`);
    expect(del.status).toBe(204);
    expect(existsSync(file(list[0].path))).toBe(false);
    errorBody(await h.call('DELETE', `${P}/baselines/${list[0].id}`), 404, 'not_found');
    const again = await runTests([ids.unmasked]);
    expect(again.run.status).toBe('passed');
    expect(again.results.get(ids.unmasked).visual[0].status).toBe('new');
  }, 120_000);
});
