import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { startHarness, type Harness } from './api-harness.ts';
import { createTriggerToken } from './auth-helpers.ts';

// Strategy `changed` end to end in real Chromium: which tests run for a changed file or page
// depends on their `covers` globs, their suite's globs, their goto steps and — after a first
// run — the pages they actually visited.

let pool: BrowserPool;
let site: StaticServer;
let h: Harness;
let slug: string;
let token: string;
const ids: Record<string, string> = {};

const tests = {
  // Reaches the cart only by clicking: no goto names it, only its visited pages can.
  clickToCart: {
    name: 'home to cart',
    steps: [
      { goto: '/' },
      { click: { role: 'link', name: 'Cart' } },
      { expect: { url: '/cart.html' } },
    ],
  },
  account: {
    name: 'account page',
    covers: ['src/account/**'],
    steps: [{ goto: '/account.html' }],
  },
  home: { name: 'home page', suite: 'checkout', steps: [{ goto: '/' }] },
  cartDirect: { name: 'cart direct', steps: [{ goto: '/cart.html' }] },
};

async function runAndWait(body: Record<string, unknown>) {
  const res = await h.call('POST', `/api/v1/projects/${slug}/runs`, body);
  if (res.status !== 202) return res;
  const run = await h.engine.waitForRun(res.body.id);
  const read = await h.call('GET', `/api/v1/projects/${slug}/runs/${run.id}`);
  return read;
}

const nameOf = (id: string): string =>
  Object.entries(ids).find(([, v]) => v === id)?.[0] ?? `unknown ${id}`;

beforeAll(async () => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  site = await startStaticServer(resolve('test/fixtures/selection'));
  // The Chromium executor needs the harness' data dir, known once the harness has started.
  const real: { executor?: TestExecutor } = {};
  h = await startHarness({
    executor: (job) => (real.executor as TestExecutor)(job),
    config: { allowPrivateUrls: ['loopback'] },
  });
  real.executor = chromiumExecutor(pool, h.config.dataDir);
  slug = `sel-${Date.now().toString(36)}`;
  const p = await h.call('POST', '/api/v1/projects', { name: slug, slug, baseUrl: site.url });
  expect(p.status).toBe(201);
  token = await createTriggerToken(h.store, p.body.id as string);
  for (const [key, doc] of Object.entries(tests)) {
    const res = await h.call('POST', `/api/v1/projects/${slug}/tests`, {
      ...doc,
      status: 'approved',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids[key] = res.body.id;
  }
  const suite = await h.call('PUT', `/api/v1/projects/${slug}/suites/checkout`, {
    covers: ['src/cart/**'],
  });
  expect(suite.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await site?.close();
  await pool?.close();
});

describe('strategy changed in Chromium', () => {
  it('before any run, a changed page selects only the test whose goto names it', async () => {
    const run = await runAndWait({ strategy: 'changed', changedUrls: ['/cart.html'] });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.testIds.map(nameOf)).toEqual(['cartDirect']);
    expect(run.body.selectionDetail.reasons[ids.cartDirect!]).toContain('goes to /cart.html');
    expect(run.body.status).toBe('passed');
  }, 60_000);

  it('a full run records the pages each test visited', async () => {
    const run = await runAndWait({});
    expect(run.body.status).toBe('passed');
    expect(run.body.selectionDetail).toBeNull();
    const results = await h.call('GET', `/api/v1/projects/${slug}/runs/${run.body.id}/results`);
    const visited = Object.fromEntries(
      results.body.items.map((r: { testId: string; visitedUrls?: string[] }) => [
        nameOf(r.testId),
        r.visitedUrls,
      ]),
    );
    expect(visited.clickToCart).toEqual(['/', '/cart.html']);
    expect(visited.account).toEqual(['/account.html']);
    expect(visited.home).toEqual(['/']);
  }, 120_000);

  it('after that, the trigger runs exactly the tests that cover, visited or go to a change', async () => {
    const res = await h.call(
      'POST',
      `/api/v1/projects/${slug}/trigger`,
      {
        strategy: 'changed',
        changedFiles: ['src/account/profile.ts'],
        changedUrls: ['http://shop.example/cart.html?x=1'],
        wait: true,
      },
      { authorization: `Bearer ${token}` },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const run = await h.call('GET', `/api/v1/projects/${slug}/runs/${res.body.runId}`);
    expect(run.body.testIds.map(nameOf).sort()).toEqual(['account', 'cartDirect', 'clickToCart']);
    const reasons = run.body.selectionDetail.reasons;
    expect(run.body.selectionDetail.strategy).toBe('changed');
    expect(run.body.selectionDetail.inputs).toEqual({
      changedFiles: ['src/account/profile.ts'],
      changedUrls: ['/cart.html'],
    });
    expect(reasons[ids.account!]).toBe('covers src/account/** ← src/account/profile.ts');
    expect(reasons[ids.clickToCart!]).toBe('visited /cart.html');
    expect(reasons[ids.cartDirect!]).toContain('visited /cart.html');
  }, 120_000);

  it("a suite's covers select its tests for a changed file", async () => {
    const run = await runAndWait({ strategy: 'changed', changedFiles: ['src/cart/total.ts'] });
    expect(run.body.testIds.map(nameOf)).toEqual(['home']);
    expect(run.body.selectionDetail.reasons[ids.home!]).toBe(
      'suite checkout covers src/cart/** ← src/cart/total.ts',
    );
  }, 60_000);

  it('refuses a changed trigger without paths and one that matches nothing', async () => {
    const none = await h.call(
      'POST',
      `/api/v1/projects/${slug}/trigger`,
      { strategy: 'changed' },
      { authorization: `Bearer ${token}` },
    );
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('validation_failed');
    expect(none.body.error).toContain('changedFiles');
    const nothing = await runAndWait({ strategy: 'changed', changedFiles: ['docs/readme.md'] });
    expect(nothing.status).toBe(400);
    expect(nothing.body.code).toBe('no_tests');
    expect(nothing.body.error).toContain('strategy "changed"');
  });

  it('plans balanced shards over the API, with a trigger token', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const plan = await h.call('POST', `/api/v1/projects/${slug}/plan`, { shards: 2 }, auth);
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.shards).toHaveLength(2);
    const all = plan.body.shards.flatMap((x: { testIds: string[] }) => x.testIds);
    expect(all.sort()).toEqual(Object.values(ids).sort());
    expect(plan.body.unknown).toEqual([]);
    const sum = plan.body.shards.reduce(
      (n: number, x: { estimatedMs: number }) => n + x.estimatedMs,
      0,
    );
    expect(plan.body.totalMs).toBe(sum);
    const narrowed = await h.call(
      'POST',
      `/api/v1/projects/${slug}/plan`,
      { shards: 3, strategy: 'changed', changedFiles: ['src/cart/x.ts'] },
      auth,
    );
    expect(narrowed.body.shards.flatMap((x: { testIds: string[] }) => x.testIds)).toEqual([
      ids.home,
    ]);
    expect(narrowed.body.selectionDetail.strategy).toBe('changed');
    const bad = await h.call('POST', `/api/v1/projects/${slug}/plan`, { shards: 0 }, auth);
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
    const missing = await h.call('GET', `/api/v1/projects/${slug}/suites/nope`);
    expect(missing.status).toBe(404);
  });
});
