import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { crawl } from '../../src/crawl/crawler.ts';
import { generateTests } from '../../src/crawl/generate.ts';
import { existingTests, storeDrafts } from '../../src/crawl/generate-store.ts';
import type { SiteMap } from '../../src/crawl/site-map.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import type { Project } from '../../src/domain/project.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { reviewTests } from '../../src/engine/review.ts';
import { newProject, openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

// The "done means": crawl the bundled demo, generate, approve everything, and the suite
// passes against the app and fails when the app is broken on purpose. Real crawler, real
// Chromium, real engine and store; nothing about the demo is known to the generator.

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/crawl/demo-site.json', import.meta.url), 'utf8'),
) as SiteMap;

/** What broken mode breaks that generated tests can see: the relabelled sign-in button. */
// The relabelled sign-in button fails the smoke tests, which assert its name; the form test
// only clicks it, so it heals from what the good run recorded, and says so in its result.
const EXPECTED_BROKEN = ['crawl:smoke:/login', 'crawl:smoke:/login?next=%2Fdashboard'];
const EXPECTED_HEALED = ['crawl:form-validation:/login#1'];

describe('generated suite on the demo site', () => {
  let site: DemoSite;
  let broken: DemoSite;
  let pool: BrowserPool;
  let t: TestStore;
  let engine: Engine;
  let project: Project;
  let siteMap: SiteMap;

  beforeAll(async () => {
    [site, broken] = await Promise.all([
      startDemoSite({ slowMs: 50 }),
      startDemoSite({ slowMs: 50, broken: true }),
    ]);
    pool = new BrowserPool({ chromiumPath: null, browserWs: null });
    t = await openTestStore('sqlite');
    ({ engine } = await startEngine('sqlite', chromiumExecutor(pool, t.dir), { t }));
    project = await newProject(t.store, 2);
    siteMap = await crawl(pool, { startUrl: `${site.url}/`, allowPrivateUrls: ['loopback'] });
  }, 120_000);

  afterAll(async () => {
    await stopEngines();
    await pool?.close();
    await Promise.all([site?.close(), broken?.close()]);
  });

  async function runAgainst(baseUrl: string) {
    const run = await engine.createRun(project.id, {
      trigger: { source: 'api', actor: 'test' },
      baseUrl,
    });
    const done = await engine.waitForRun(run.id, { timeoutMs: 180_000 });
    const tests = new Map(
      (await t.store.tests.list(project.id, { limit: 500, offset: 0 })).items.map((x) => [x.id, x]),
    );
    const results = await t.store.results.listByRun(run.id);
    const failedKeys = results
      .filter((r) => r.status !== 'passed')
      .map((r) => tests.get(r.testId)?.key)
      .sort();
    const healedKeys = results
      .filter((r) => r.status === 'passed' && (r.healed?.length ?? 0) > 0)
      .map((r) => tests.get(r.testId)?.key)
      .sort();
    return { done, results, failedKeys, healedKeys };
  }

  it('generates from the real crawl what the hand-written fixture predicts', () => {
    const fromCrawl = generateTests(siteMap, []).map((d) => d.key);
    const fromFixture = generateTests(fixture, []).map((d) => d.key);
    expect(fromCrawl.sort()).toEqual(fromFixture.sort());
  });

  it('approved, the suite passes against the demo and catches the broken demo', async () => {
    // Failing steps wait their whole timeout; a shorter one keeps the broken run quick, and 10 s
    // still lets a passing journey through on a loaded machine (4 s failed /contact in CI).
    const docs = generateTests(siteMap, await existingTests(t.store, project.id)).map((d) => ({
      ...d,
      stepTimeout: 10_000,
    }));
    const stored = await storeDrafts(t.store, project.id, docs, { source: 'crawl', actor: 'test' });
    expect(stored).toHaveLength(docs.length);
    expect(stored.every((s) => s.status === 'draft' && s.source === 'crawl')).toBe(true);
    const approved = await reviewTests(
      t.store,
      project.id,
      stored.map((s) => s.id),
      'approve',
      'reviewer@example.test',
    );
    expect(approved).toBe(stored.length);

    const good = await runAgainst(site.url);
    const why = good.results
      .filter((r) => r.status !== 'passed')
      .map((r) => `${r.testName}: ${r.error}`);
    expect(why).toEqual([]);
    expect(good.done.status).toBe('passed');
    expect(good.done.total).toBe(stored.length);

    const bad = await runAgainst(broken.url);
    expect(bad.done.status).toBe('failed');
    expect(bad.failedKeys).toEqual(EXPECTED_BROKEN);
    expect(bad.healedKeys).toEqual(EXPECTED_HEALED);
    const healed = bad.results.find((r) => r.healed?.length)?.healed?.[0];
    expect(healed?.from).toBe('role=button[name="Sign in"]');
    expect(healed?.to).not.toContain('Sign in');
  }, 240_000);

  it('a second crawl proposes nothing new', async () => {
    const again = generateTests(siteMap, await existingTests(t.store, project.id));
    expect(again).toEqual([]);
  });
});
