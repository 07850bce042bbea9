import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testResultDto, toTestResultDto } from '../../src/api/dto.ts';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { formatSummary } from '../../src/cli/progress.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { InProcessEventBus, RunEvent } from '../../src/events/event-bus.ts';
import { renderHtml, renderJunit, renderMarkdownSummary } from '../../src/report/index.ts';
import { findRun, loadReportInput } from '../../src/report/report-source.ts';
import { startShopServer, type ShopServer } from '../fixtures/healing/shop-server.ts';
import { newProject, openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

// The whole loop: a run records locator memory in the store, the next run heals from it and
// says so in its result, its events, the CLI summary and the reports.
let site: ShopServer;
let pool: BrowserPool;
let t: TestStore;
let engine: Engine;
let events: InProcessEventBus;

beforeAll(async () => {
  site = await startShopServer();
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  t = await openTestStore('sqlite');
  ({ engine, events } = await startEngine('sqlite', chromiumExecutor(pool, t.dir), {
    t,
    workers: 1,
  }));
});

afterAll(async () => {
  await stopEngines();
  await pool.close();
  await site.close();
});

const trigger = { source: 'api', actor: 'test' };

describe('self-healing through the engine', () => {
  it('records, heals on the next run, reports it, and fails with healing off', async () => {
    const { store } = t;
    const p = await newProject(store);
    await store.projects.update(p.id, { baseUrl: site.url });
    const test = await store.tests.create(
      p.id,
      parseTestDocument({
        name: 'Buy',
        stepTimeout: 3_000,
        steps: [
          { goto: '/shop' },
          { click: '#buy-1' },
          { expect: { text: { locator: '#out', equals: 'bought' } } },
        ],
      }),
      { source: 'api', status: 'approved' },
    );
    site.resetLoads();

    const first = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    expect(first.status).toBe('passed');
    const memory = await store.locatorMemory.forTest(p.id, test.id);
    expect(memory.map((m) => m.step)).toContain(1);
    const [firstResult] = await store.results.listByRun(first.id, p.id);
    expect(firstResult?.healed).toBeUndefined();

    const seen: RunEvent[] = [];
    const off = events.subscribe('*', (e) => seen.push(e));
    const second = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    off();
    expect(second.status).toBe('passed');
    const [result] = await store.results.listByRun(second.id, p.id);
    const healed = [
      { step: 1, from: 'css="#buy-1"', to: 'role=button[name="Buy now"]', strategy: 'role' },
    ];
    expect(result?.status).toBe('passed');
    expect(result?.healed).toEqual(healed);
    expect(seen.find((e) => e.type === 'test.healed' && e.runId === second.id)).toMatchObject({
      testId: test.id,
      healed,
    });
    const after = await store.locatorMemory.forTest(p.id, test.id);
    expect(after.find((m) => m.step === 1)?.winningStrategy).toBe('role');

    const summary = formatSummary(second, result ? [result] : [], false, t.dir);
    expect(summary).toContain('1 healed');
    expect(summary).toContain('step 2: css="#buy-1" → role=button[name="Buy now"]');
    const found = await findRun(store, second.id);
    if (!found) throw new Error('run not found');
    const input = await loadReportInput(store, found);
    expect(input.healed).toEqual([
      {
        testId: test.id,
        testName: 'Buy',
        detail: 'step 2: css="#buy-1" → role=button[name="Buy now"]',
      },
    ]);
    expect(renderMarkdownSummary(input)).toContain('Healed');
    expect(renderHtml(input)).toContain('Healed (1)');
    expect(renderJunit(input)).toContain('name="greenlight.healed"');
    if (!result) throw new Error('no result');
    expect(testResultDto.parse(toTestResultDto(result)).healed).toEqual(healed);

    const off2 = await engine.createRun(p.id, { trigger, options: { healing: false } });
    const third = await engine.waitForRun(off2.id);
    expect(third.status).toBe('failed');
    const [failed] = await store.results.listByRun(third.id, p.id);
    expect(failed?.failedStep).toBe(1);
    expect(failed?.healed).toBeUndefined();
  });
});
