import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

const base = tempBase();
let pool: BrowserPool;
let server: StaticServer;

beforeAll(async () => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  server = await startStaticServer(resolve('test/fixtures/runner'));
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

describe('artifacts that cannot be captured', () => {
  it('records a failure screenshot that times out as missing, with the reason', async () => {
    const outcome = await runTest(
      pool,
      runnerInput(
        base,
        server.url,
        [{ goto: '/index.html' }, { expect: { visible: '#never' }, timeout: 500 }],
        // No frame can be captured in 1 ms: the stand-in for a browser too busy to paint in time.
        { screenshotTimeoutMs: 1 },
      ),
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.artifacts.screenshot).toBeUndefined();
    expect(outcome.artifacts.missing).toEqual([
      { name: 'failure', reason: expect.stringMatching(/timeout/i) },
    ]);
  });

  it('records every-step screenshots that time out as missing, and the test still passes', async () => {
    const outcome = await runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/index.html' }], {
        screenshots: 'every-step',
        screenshotTimeoutMs: 1,
      }),
    );
    expect(outcome.status).toBe('passed');
    expect(outcome.artifacts.screenshots).toBeUndefined();
    expect(outcome.artifacts.missing).toEqual([
      { name: 'step-1', reason: expect.stringMatching(/timeout/i) },
    ]);
  });
});
