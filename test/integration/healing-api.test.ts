import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import { startShopServer, type ShopServer } from '../fixtures/healing/shop-server.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';

// The HTTP side of healing: the `healing` run field and the `healed` field of results.
let h: Harness;
let site: ShopServer;
let pool: BrowserPool;
const dir = mkdtempSync(join(tmpdir(), 'gl-heal-api-'));
const P = '/api/v1/projects/heal-shop';

beforeAll(async () => {
  site = await startShopServer();
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  h = await startHarness({
    executor: chromiumExecutor(pool, dir),
    config: { allowPrivateUrls: ['loopback'] },
  });
  const created = await h.call('POST', '/api/v1/projects', {
    name: 'Heal shop',
    baseUrl: site.url,
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await h?.close();
  await pool.close();
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runAndResults(body: Record<string, unknown>) {
  const res = await h.call('POST', `${P}/runs`, body);
  expect(res.status).toBe(202);
  const run = await h.engine.waitForRun(res.body.id as string, { timeoutMs: 60_000 });
  const results = await h.call('GET', `${P}/runs/${run.id}/results`);
  expect(results.status).toBe(200);
  return { run, result: results.body.items[0] as Record<string, unknown> };
}

describe('healing over HTTP', () => {
  it('refuses a non-boolean healing field', async () => {
    const body = errorBody(
      await h.call('POST', `${P}/runs`, { healing: 'off' }),
      400,
      'validation_failed',
    );
    expect(JSON.stringify(body)).toContain('healing');
  });

  it('shows what a run healed in its results, and fails with healing off', async () => {
    const test = await h.call('POST', `${P}/tests`, {
      name: 'Buy',
      status: 'approved',
      stepTimeout: 3_000,
      steps: [{ goto: '/shop' }, { click: '#buy-1' }],
    });
    expect(test.status).toBe(201);
    site.resetLoads();

    const first = await runAndResults({});
    expect(first.run.status).toBe('passed');
    expect(first.result.healed).toBeUndefined();

    const second = await runAndResults({});
    expect(second.run.status).toBe('passed');
    expect(second.result.healed).toEqual([
      { step: 1, from: 'css="#buy-1"', to: 'role=button[name="Buy now"]', strategy: 'role' },
    ]);

    const off = await runAndResults({ healing: false });
    expect(off.run.status).toBe('failed');
    expect(off.result.healed).toBeUndefined();
  });
});
