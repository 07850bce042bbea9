import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserServer } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumArgs, findChromium } from '../../src/browser/find-chromium.ts';
import { playwright } from '../../src/browser/playwright.ts';
import { runCli } from '../helpers/cli.ts';

// GREENLIGHT_BROWSER_WS: the tests run in a browser another process launched (Playwright's
// run-server protocol, what `launchServer` and the playwright Docker images serve).
let dir: string;
let server: BrowserServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-remote-browser-'));
  server = await playwright().chromium.launchServer({
    executablePath: findChromium({}),
    args: [...chromiumArgs],
    host: '127.0.0.1',
    port: 0,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('runs the demo tests in a remote browser server, launching none itself', async () => {
  const env = {
    GREENLIGHT_DATA_DIR: dir,
    GREENLIGHT_DEMO_PORT: '0',
    GREENLIGHT_BROWSER_WS: server.wsEndpoint(),
    // Any local launch would fail: the binary does not exist.
    GREENLIGHT_CHROMIUM_PATH: join(dir, 'no-such-chromium'),
  };
  const r = await runCli(['run', 'demo', '--tag', 'smoke', '--workers', '2', '--json'], env);
  expect(r.stderr).toContain('7 tests'); // progress goes to stderr with --json
  expect(r.code).toBe(0);
  const body = JSON.parse(r.stdout) as {
    run: { id: string; status: string; total: number; passed: number };
    results: { status: string; steps: unknown[] }[];
  };
  expect(body.run).toMatchObject({ status: 'passed', total: 7, passed: 7 });
  expect(body.results.every((x) => x.status === 'passed' && x.steps.length > 0)).toBe(true);

  // A failing test in the remote browser still leaves its screenshot on this machine.
  const failing = await runCli(['run', 'demo', '--tag', 'known-failure'], env);
  expect(failing.code).toBe(1);
  expect(failing.stdout).toContain('Verdict: FAILED');
  const shot = /screenshot: (\S+\.png)/.exec(failing.stdout)?.[1];
  expect(shot?.startsWith(dir)).toBe(true);
  expect(existsSync(shot!)).toBe(true);
}, 180_000);
