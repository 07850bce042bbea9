import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import type { LocatorMemory } from '../../src/domain/locator-memory.ts';
import { runTest, type RunTestInput } from '../../src/runner/run-test.ts';
import { startShopServer, type ShopServer } from '../fixtures/healing/shop-server.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';

// Self-healing in real Chromium: a shop page whose buy button gets a new id on every load.
const base = tempBase();
let pool: BrowserPool;
let server: ShopServer;

beforeAll(async () => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  server = await startShopServer();
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

const buySteps = (variant = 'fresh'): unknown[] => [
  { goto: `/shop?v=${variant}` },
  { expect: { visible: '#buy-1' } },
  { click: '#buy-1' },
  { expect: { text: { locator: '#out', equals: 'bought' } } },
];

function input(
  variant: string,
  memory: LocatorMemory[],
  extra: Partial<RunTestInput> = {},
): RunTestInput {
  return runnerInput(base, server.url, buySteps(variant), {
    test: { id: 'buy', name: 'buy', stepTimeoutMs: 3_000 },
    locatorMemory: memory,
    ...extra,
  });
}

describe('self-healing locators', () => {
  let firstMemory: LocatorMemory[] = [];

  it('records alternatives of every element a passing step found', async () => {
    server.resetLoads();
    const r = await runTest(pool, input('fresh', []));
    expect(r.error).toBeNull();
    expect(r.status).toBe('passed');
    expect(r.healed).toBeUndefined();
    firstMemory = r.locatorMemory ?? [];
    const click = firstMemory.find((m) => m.step === 2);
    expect(click).toBeDefined();
    const strategies = click?.alternatives.map((a) => a.strategy) ?? [];
    expect(strategies).toEqual(expect.arrayContaining(['role', 'text', 'css']));
    expect(click?.alternatives).toContainEqual({
      strategy: 'role',
      locator: { role: 'button', name: 'Buy now', exact: true },
    });
    // The locator that may break is never its own alternative.
    expect(click?.alternatives.some((a) => a.locator.css === '#buy-1')).toBe(false);
    expect(firstMemory.find((m) => m.step === 1)?.alternatives.length).toBeGreaterThan(0);
  });

  it('heals a changed id from memory, passes, and says what it healed', async () => {
    const r = await runTest(pool, input('fresh', firstMemory));
    expect(r.error).toBeNull();
    expect(r.status).toBe('passed');
    expect(r.healed).toEqual([
      { step: 1, from: 'css="#buy-1"', to: 'role=button[name="Buy now"]', strategy: 'role' },
      { step: 2, from: 'css="#buy-1"', to: 'role=button[name="Buy now"]', strategy: 'role' },
    ]);
    const click = r.locatorMemory?.find((m) => m.step === 2);
    expect(click?.winningStrategy).toBe('role');
    // Re-recorded from the healed element: its current id is an alternative now.
    expect(click?.alternatives).toContainEqual({ strategy: 'id', locator: { css: '#buy-2' } });
  });

  it('fails instead of healing when healing is off', async () => {
    const r = await runTest(pool, input('fresh', firstMemory, { healing: false }));
    expect(r.status).toBe('failed');
    expect(r.failedStep).toBe(1);
    expect(r.error).toContain('#buy-1');
    expect(r.healed).toBeUndefined();
  });

  it('still fails when the element is gone', async () => {
    const r = await runTest(pool, input('gone', firstMemory));
    expect(r.status).toBe('failed');
    expect(r.failedStep).toBe(1);
    expect(r.error).toMatch(/no element matched css="#buy-1" .*recorded alternatives/);
    expect(r.healed).toBeUndefined();
  });

  it('does not guess between several candidates', async () => {
    const r = await runTest(pool, input('twice', firstMemory));
    expect(r.status).toBe('failed');
    expect(r.failedStep).toBe(1);
    expect(r.error).toContain('healing found 2 candidates');
    expect(r.healed).toBeUndefined();
  });

  it('never records an alternative that holds a secret value', async () => {
    server.resetLoads();
    const r = await runTest(pool, input('fresh', [], { secrets: ['Buy now'] }));
    expect(r.status).toBe('passed');
    const click = r.locatorMemory?.find((m) => m.step === 2);
    expect(click?.alternatives.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.locatorMemory)).not.toContain('Buy now');
  });
});
