import { readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import {
  MAX_TEST_STEPS,
  parseTestDocument,
  TestValidationError,
} from '../../src/domain/test-definition.ts';
import { runTest, type TestOutcome } from '../../src/runner/run-test.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';
import { fullReliability } from './reliability-env.ts';
import {
  errorBody,
  passingExecutor,
  startHarness,
  type Harness,
} from '../integration/api-harness.ts';

// Hostile pages and tests: each ends with a clear error (or passes) within the test's own
// budget, leaves nothing open in the browser, keeps its stored outcome and artifacts small, and
// the next test in the same browser runs as usual. Real Chromium against pages on 127.0.0.1.

const HUGE_BYTES = 50 * 1024 * 1024;
const POPUPS = fullReliability() ? 5_000 : 2_000;
const base = tempBase();
let pool: BrowserPool;
let server: Server;
let url: string;

/** The hostile site: a 50 MB page, an endless redirect, a page opening thousands of popups. */
function hostileSite(): Server {
  return createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (path === '/huge') {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': HUGE_BYTES });
      const head = '<!doctype html><title>Huge</title><h1>Huge</h1>';
      res.write(head);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let left = HUGE_BYTES - head.length;
      const more = (): void => {
        while (left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          if (!res.write(part)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => (left = 0));
      more();
    } else if (path === '/popups') {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<!doctype html><title>Popups</title><h1>Popups</h1><script>for (let i = 0; i < ${POPUPS}; i++) window.open('/plain?' + i, '_blank');</script>`,
        );
    } else if (path.startsWith('/a-run')) {
      // 60,000 'a's and no end anchor match: the shape that makes backtracking engines explode.
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>ReDoS</title><h1 id="t">${'a'.repeat(60_000)}!</h1>`);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Plain</title><h1>Plain</h1>');
    }
  });
}

beforeAll(async () => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  server = hostileSite();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await pool?.close();
  server?.closeAllConnections();
  server?.close();
  rmSync(base, { recursive: true, force: true });
});

const bytesUnder = (dir: string): number => {
  let n = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
    }
  } catch {
    // no artifacts folder: nothing written
  }
  return n;
};

/** Run one test; then check it left no context open and the browser still runs a plain test. */
async function runHostile(
  steps: unknown[],
  budget: { timeoutMs: number; stepTimeoutMs: number },
): Promise<{ outcome: TestOutcome; artifactBytes: number }> {
  // The failure screenshot of a page still busy loading waits its whole timeout: kept short here.
  const input = runnerInput(base, url, steps, { test: budget, screenshotTimeoutMs: 3_000 });
  const outcome = await runTest(pool, input);
  const browser = await pool.browser();
  expect(browser.contexts()).toHaveLength(0);
  const after = await runTest(pool, runnerInput(base, url, [{ goto: '/plain' }]));
  expect(after.status, after.error ?? '').toBe('passed');
  return { outcome, artifactBytes: bytesUnder(input.artifactsDir) };
}

describe('hostile pages', () => {
  it('a 50 MB page: passes or fails with a timeout, nothing of its size kept', async () => {
    const { outcome, artifactBytes } = await runHostile(
      [{ goto: '/huge' }, { expect: { visible: 'h1' } }],
      { timeoutMs: 20_000, stepTimeoutMs: 4_000 },
    );
    if (outcome.status !== 'passed') {
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/goto \/huge: timed out after \d+ ms|timed out/);
    }
    expect(JSON.stringify(outcome).length).toBeLessThan(64 * 1024);
    expect(artifactBytes).toBeLessThan(5 * 1024 * 1024);
  }, 120_000);

  it('an endless redirect: fails at once saying so', async () => {
    const { outcome } = await runHostile([{ goto: '/loop' }], {
      timeoutMs: 30_000,
      stepTimeoutMs: 10_000,
    });
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 0 });
    expect(outcome.error).toMatch(/^goto \/loop: net::ERR_TOO_MANY_REDIRECTS/);
  }, 120_000);

  it(`a page opening ${POPUPS} popups: the test ends, every popup is closed with its context`, async () => {
    const { outcome } = await runHostile([{ goto: '/popups' }, { expect: { visible: 'h1' } }], {
      timeoutMs: 20_000,
      stepTimeoutMs: 3_000,
    });
    expect(['passed', 'failed']).toContain(outcome.status);
    if (outcome.status === 'failed') expect(outcome.error).toMatch(/timed out/);
    expect(JSON.stringify(outcome).length).toBeLessThan(64 * 1024);
  }, 120_000);

  it('a ReDoS-shaped pattern against 60,000 characters: answered by a linear-time engine', async () => {
    const { outcome } = await runHostile(
      [{ goto: '/a-run' }, { expect: { text: { locator: '#t', matches: '^(a+)+$' } } }],
      { timeoutMs: 30_000, stepTimeoutMs: 3_000 },
    );
    // The text ends in '!': no match, reported as a plain mismatch, not a timeout.
    expect(outcome).toMatchObject({ status: 'failed', failedStep: 1 });
    expect(outcome.error).toMatch(/\(a\+\)\+\$/);
    expect(outcome.error).not.toMatch(/timed out/);
  }, 120_000);

  it('refuses patterns RE2 cannot run in linear time when the test is saved', () => {
    const parse = (matches: string) => () =>
      parseTestDocument({
        name: 'lookaround',
        steps: [{ expect: { text: { locator: 'h1', matches } } }],
      });
    expect(parse('(?=a)a')).toThrow(/look-around/);
    expect(parse('(a)\\1')).toThrow(/back-reference/);
  });
});

describe(`a test file with 100,000 steps`, () => {
  const huge = {
    name: 'Endless',
    steps: Array.from({ length: 100_000 }, (_, i) => ({ goto: `/p${i}` })),
  };
  let h: Harness;
  beforeAll(async () => {
    // A body limit high enough that the request reaches validation (the default 1 MB refuses it).
    h = await startHarness({ executor: passingExecutor, bodyLimit: 32 * 1024 * 1024 });
    const p = await h.call('POST', '/api/v1/projects', { name: 'Huge', baseUrl: 'http://a.test' });
    expect(p.status).toBe(201);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is refused by the parser with one issue naming the limit', () => {
    let err: unknown;
    try {
      parseTestDocument(huge);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TestValidationError);
    const issues = (err as TestValidationError).issues;
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'steps',
        message: `a test has at most ${MAX_TEST_STEPS} steps; split it into several tests`,
      }),
    ]);
    // The limit itself is accepted.
    const longest = { ...huge, steps: huge.steps.slice(0, MAX_TEST_STEPS) };
    expect(parseTestDocument(longest).steps).toHaveLength(MAX_TEST_STEPS);
  });

  it('is refused with 400 by create, patch and import, and nothing is stored', async () => {
    const P = '/api/v1/projects/huge';
    const created = await h.call('POST', `${P}/tests`, huge);
    expect(errorBody(created, 400, 'validation_failed').error).toMatch(/at most 2000 steps/);

    const small = await h.call('POST', `${P}/tests`, { name: 'Small', steps: [{ goto: '/' }] });
    expect(small.status).toBe(201);
    const patched = await h.call('PATCH', `${P}/tests/${small.body.id}`, { steps: huge.steps });
    expect(patched.status).toBe(400);
    expect(patched.body.error).toMatch(/at most 2000 steps/);

    const imported = await h.call('POST', `${P}/tests/import`, {
      files: [{ name: 'endless.json', content: JSON.stringify(huge) }],
    });
    expect(imported.status).toBe(400);
    expect(imported.body.error).toMatch(/at most 2000 steps/);

    const list = await h.call('GET', `${P}/tests`);
    expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(['Small']);
    const kept = await h.call('GET', `${P}/tests/${small.body.id}`);
    expect(kept.body.steps).toHaveLength(1);
  });
});
