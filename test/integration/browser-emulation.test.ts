import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { resolveRunOptions, type RunOptionsInput } from '../../src/domain/run-options.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

// Devices, locale, time zone and network presets, emulated in real Chromium: the fixture page
// prints what the browser tells it, and each test asserts those values in steps.

const base = tempBase();
let server: StaticServer;
let pool: BrowserPool;

beforeAll(async () => {
  server = await startStaticServer(resolve('test/fixtures/devices'));
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

const text = (testId: string, match: Record<string, string>) => ({
  expect: { text: { locator: { testId }, ...match } },
});

/** Run steps against the device report page with the run options given. */
async function report(options: RunOptionsInput, checks: unknown[], stepTimeoutMs = 5_000) {
  const emulation = resolveRunOptions(options);
  return runTest(
    pool,
    runnerInput(base, server.url, [{ goto: '/index.html' }, ...checks], {
      emulation,
      test: { stepTimeoutMs },
    }),
  );
}

describe('device and locale emulation', () => {
  it('runs as a Pixel 7 for `mobile`, in the locale and time zone asked for', async () => {
    const out = await report({ device: 'mobile', locale: 'de-DE', timezone: 'Asia/Tokyo' }, [
      text('ua', { contains: 'Pixel 7' }),
      text('ua', { contains: 'Mobile' }),
      text('width', { equals: '412' }),
      text('language', { equals: 'de-DE' }),
      text('timezone', { equals: 'Asia/Tokyo' }),
    ]);
    expect(out.error).toBeNull();
    expect(out.status).toBe('passed');
  });

  it('uses the Galaxy Tab S4 for `tablet`, and a custom viewport wins over the device', async () => {
    const tablet = await report({ device: 'tablet' }, [
      text('ua', { contains: 'SM-T837A' }),
      text('width', { equals: '712' }),
    ]);
    expect(tablet.error).toBeNull();
    const custom = await report(
      { device: 'iPhone 13', viewport: { width: 900, height: 700 }, locale: 'fr-CA' },
      [text('ua', { contains: 'iPhone' }), text('width', { equals: '900' })],
    );
    expect(custom.error).toBeNull();
  });

  it('stays a desktop browser without options, so the checks above can fail', async () => {
    const out = await report({}, [text('ua', { contains: 'Pixel 7' })], 1_000);
    expect(out.status).toBe('failed');
    expect(out.error).toContain('Pixel 7');
  });
});

describe('network presets', () => {
  it('throttles slow-3g through CDP: the page sees 2g and a probe takes at least the latency', async () => {
    const out = await report(
      { network: 'slow-3g' },
      [
        text('connection', { equals: '2g' }),
        // 2000 ms of added latency is a floor a loaded machine cannot undercut.
        text('fetch-ms', { matches: '^([2-9]\\d{3}|\\d{5,})$' }),
      ],
      30_000,
    );
    expect(out.error).toBeNull();
    expect(out.status).toBe('passed');
  });

  it('reports fast-3g as 3g to the page', async () => {
    const out = await report(
      { network: 'fast-3g' },
      [text('connection', { equals: '3g' }), text('fetch-ms', { matches: '^\\d{3,}$' })],
      20_000,
    );
    expect(out.error).toBeNull();
  });

  it('fails the first goto clearly when offline', async () => {
    const before = server.requests.length;
    const out = await report({ network: 'offline' }, []);
    expect(out.status).toBe('failed');
    expect(out.failedStep).toBe(0);
    expect(out.error).toContain('ERR_INTERNET_DISCONNECTED');
    expect(server.requests.length).toBe(before);
  });
});

describe('other browsers', () => {
  it('answers a test for a browser that is not installed with an error naming it', async () => {
    const out = await runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/index.html' }], {
        emulation: resolveRunOptions({ browser: 'firefox' }),
      }),
    );
    expect(out.status).toBe('error');
    expect(out.error).toContain('firefox is not installed');
    expect(out.error).toContain('npx playwright install --with-deps firefox');
    // The Chromium slot of the pool is untouched by the failed Firefox start.
    expect(pool.running).toEqual(['chromium']);
  });
});
