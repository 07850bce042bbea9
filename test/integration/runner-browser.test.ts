import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumArgs, findChromium } from '../../src/browser/find-chromium.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { browserPid } from '../helpers/browser-pid.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

const base = tempBase();
let server: StaticServer;
let pool: BrowserPool;

beforeAll(async () => {
  server = await startStaticServer(resolve('test/fixtures/runner'));
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

const simple = [{ goto: '/' }, { expect: { visible: { role: 'heading' } } }];

describe('findChromium', () => {
  const only =
    (...paths: string[]) =>
    (p: string): boolean =>
      paths.includes(p);

  it('takes the configured path, then the system Chromium', () => {
    expect(
      findChromium({ chromiumPath: '/opt/chrome' }, only('/opt/chrome', '/usr/bin/chromium')),
    ).toBe('/opt/chrome');
    expect(findChromium({ chromiumPath: null }, only('/usr/bin/chromium-browser'))).toBe(
      '/usr/bin/chromium-browser',
    );
    expect(findChromium({}, only('/usr/bin/chromium', '/usr/bin/chromium-browser'))).toBe(
      '/usr/bin/chromium',
    );
  });

  it('says how to fix a missing browser', () => {
    expect(() => findChromium({ chromiumPath: '/nope/chrome' }, only())).toThrow(
      /GREENLIGHT_CHROMIUM_PATH points to \/nope\/chrome, which does not exist/,
    );
    expect(() => findChromium({}, only())).toThrow(
      /set GREENLIGHT_CHROMIUM_PATH .*apt-get install chromium/,
    );
  });
});

describe('BrowserPool', () => {
  it('launches one browser for concurrent callers', async () => {
    const fresh = new BrowserPool({ chromiumPath: null, browserWs: null });
    try {
      const [a, b, c] = await Promise.all([fresh.browser(), fresh.browser(), fresh.browser()]);
      expect(a).toBe(b);
      expect(b).toBe(c);
      expect(fresh.current).toBe(a);
    } finally {
      await fresh.close();
    }
    await expect(fresh.newContext()).rejects.toThrow('browser pool is closed');
  });

  it('makes a test whose browser is killed an error, then relaunches for the next test', async () => {
    const before = await pool.browser();
    const pending = runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/' }, { goto: '/__hang?crash' }, { goto: '/' }], {
        test: { stepTimeoutMs: 20_000 },
      }),
    );
    await server.waitForRequest('/__hang?crash');
    process.kill(await browserPid(before), 'SIGKILL');
    const r = await pending;
    expect(r.status).toBe('error');
    expect(r.error).toMatch(
      /^browser crashed or disconnected during step 2 \(goto \/__hang\?crash\): .*closed/,
    );
    expect(r.failedStep).toBe(1);
    expect(r.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'skipped']);
    expect(r.durationMs).toBeLessThan(10_000);

    const next = await runTest(pool, runnerInput(base, server.url, simple));
    expect(next.status).toBe('passed');
    expect(pool.current).not.toBe(before);
  });

  it('relaunches when the browser was closed between tests', async () => {
    await (await pool.browser()).close();
    const r = await runTest(pool, runnerInput(base, server.url, simple));
    expect(r.status).toBe('passed');
  });

  it('connects to a remote browser (Playwright run-server) instead of launching', async () => {
    const remote = await chromium.launchServer({
      executablePath: findChromium(),
      args: [...chromiumArgs],
    });
    const connected = new BrowserPool({ chromiumPath: '/nope', browserWs: remote.wsEndpoint() });
    try {
      const r = await runTest(connected, runnerInput(base, server.url, simple));
      expect(r.status).toBe('passed');
    } finally {
      await connected.close();
      await remote.close();
    }
  });
});
