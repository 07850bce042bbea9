import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import { quarantineTest } from '../../src/engine/quarantine.ts';
import { renderJunit, renderMarkdownSummary, renderSarif } from '../../src/report/index.ts';
import { findRun, loadReportInput } from '../../src/report/report-source.ts';
import type { Store } from '../../src/store/connect.ts';
import { startFlakyServer, type FlakyServer } from '../fixtures/flaky/flaky-server.ts';
import {
  dialects,
  newProject,
  openTestStore,
  type TestDialect,
} from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';

/** Retries, flaky, quarantine and the run time limit with real Chromium against a real server. */
let site: FlakyServer;
let pool: BrowserPool;

beforeAll(async () => {
  site = await startFlakyServer();
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
});

afterAll(async () => {
  await pool.close();
  await site.close();
});

/** An engine running tests in Chromium, writing artifacts to its store's folder. */
async function harness(dialect: TestDialect) {
  const t = await openTestStore(dialect);
  return startEngine(dialect, chromiumExecutor(pool, t.dir), { t });
}

afterEach(stopEngines);

/** A test that opens `path` and expects the welcome heading. */
async function pageTest(
  store: Store,
  projectId: string,
  name: string,
  path: string,
  stepTimeout = 1_500,
) {
  const document = parseTestDocument({
    name,
    stepTimeout,
    steps: [{ goto: path }, { expect: { visible: { role: 'heading', name: 'Welcome' } } }],
  });
  return store.tests.create(projectId, document, { source: 'api', status: 'approved' });
}

const trigger = { source: 'api', actor: 'test' };

describe.each(dialects)('retries in Chromium on %s', (dialect) => {
  it('a page that fails every other load: flaky with a retry, failed without, failOnFlaky fails the run', async () => {
    const { store, engine } = await harness(dialect);
    const p = await newProject(store);
    const a = await pageTest(store, p.id, 'checkout (flaky)', `/flaky?k=a-${dialect}`);
    const b = await pageTest(store, p.id, 'cart (flaky)', `/flaky?k=b-${dialect}`);
    const c = await pageTest(store, p.id, 'search (flaky)', `/flaky?k=c-${dialect}`);
    const runOf = async (testId: string, options: object) =>
      engine.waitForRun(
        (
          await engine.createRun(p.id, {
            trigger,
            baseUrl: site.url,
            selection: { testIds: [testId] },
            options,
          })
        ).id,
      );

    const flaky = await runOf(a.id, { retries: 1 });
    expect(flaky).toMatchObject({ status: 'passed', flaky: 1, failed: 0 });
    const [r] = await store.results.listByRun(flaky.id, p.id);
    expect(r).toMatchObject({ status: 'flaky', attempt: 2 });
    expect(r!.retries).toHaveLength(1);
    expect(r!.retries![0]).toMatchObject({ attempt: 1, status: 'failed', failedStep: 1 });
    expect(r!.retries![0]!.artifacts.screenshot).toBeTruthy();
    expect(r!.retries![0]!.artifacts.screenshot).not.toBe(r!.artifacts.screenshot);
    expect(site.flakyLoads.get(`/flaky?k=a-${dialect}`)).toBe(2);

    // The reports read the earlier attempt from the stored result.
    const found = await findRun(store, flaky.id);
    const input = await loadReportInput(store, found!);
    const junit = renderJunit(input);
    expect(junit).toContain('<flakyFailure');
    expect(junit).toMatch(/failures="0"/);
    const sarif = renderSarif(input) as unknown as {
      runs: { results: { ruleId: string; level: string }[] }[];
    };
    expect(sarif.runs[0]!.results).toEqual([
      expect.objectContaining({ ruleId: 'GL-TEST-FLAKY', level: 'warning' }),
    ]);
    expect(renderMarkdownSummary(input)).toMatch(/#### Flaky \(1\)/);

    const noRetry = await runOf(b.id, { retries: 0 });
    expect(noRetry).toMatchObject({ status: 'failed', failed: 1, flaky: 0 });
    expect(site.flakyLoads.get(`/flaky?k=b-${dialect}`)).toBe(1);

    const strict = await runOf(c.id, { retries: 1, failOnFlaky: true });
    expect(strict).toMatchObject({ status: 'failed', flaky: 1 });
    expect(strict.error).toBe('1 flaky test (failOnFlaky)');
  });

  it('a quarantined failing test: the run passes and the failure is still listed', async () => {
    const { store, engine } = await harness(dialect);
    const p = await newProject(store);
    const broken = await pageTest(store, p.id, 'legacy page', '/broken');
    await pageTest(store, p.id, 'home', '/ok');
    await quarantineTest(store, p.id, broken.id, {
      reason: 'GL-7: legacy page is being rewritten',
      by: 'dev@example.com',
      at: new Date(),
    });
    const run = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, baseUrl: site.url })).id,
    );
    expect(run).toMatchObject({ status: 'passed', passed: 1, failed: 0, quarantined: 1 });
    const results = await store.results.listByRun(run.id, p.id);
    expect(results.find((r) => r.testId === broken.id)).toMatchObject({
      status: 'failed',
      quarantined: true,
    });
    const input = await loadReportInput(store, (await findRun(store, run.id))!);
    expect(renderMarkdownSummary(input)).toMatch(/legacy page\*\* \(quarantined, does not gate\)/);
    expect(renderJunit(input)).toMatch(/<skipped message="quarantined \(failed: /);
  });

  it('a run over its time limit ends as error, its hung test aborted', async () => {
    const { store, engine } = await harness(dialect);
    const p = await newProject(store, 1);
    // Its step waits longer than the run may last, so only the run's limit can end it (with the
    // usual 1.5 s the test failed by itself and a fast machine finished the run before 2 s).
    await pageTest(store, p.id, 'hangs', '/hang', 30_000);
    await pageTest(store, p.id, 'home', '/ok');
    const run = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, baseUrl: site.url, options: { timeoutMs: 2_000 } }))
        .id,
    );
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/^the run timed out after 2 s; [12] of 2 tests did not finish$/);
  });
});
