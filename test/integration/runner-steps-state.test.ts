import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { describeStep } from '../../src/domain/describe-step.ts';
import { exportPlaywrightSpec } from '../../src/export/playwright.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, runWrongExpectations, steps, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { playwrightOutcomes, writeExportedConfig } from '../helpers/playwright-report.ts';

// History, dispatch, storage, cookie, empty and focused: the runner in real Chromium, and the
// exported spec under Playwright Test, pass the same test and fail the same wrong expectations.
const fixtures = resolve('test/fixtures/runner');
const base = tempBase();
let server: StaticServer;
let pool: BrowserPool;
let dir: string;

beforeAll(async () => {
  server = await startStaticServer(fixtures);
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  mkdirSync(resolve('test-results'), { recursive: true });
  dir = mkdtempSync(resolve('test-results', 'state-'));
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const passing: unknown[] = [
  { goto: '/state.html' },
  { expect: { focused: { label: 'Search' }, empty: '#slot' } },
  { expect: { empty: '#notes' } },
  { expect: { empty: { label: 'Search' } } },
  { click: { role: 'button', name: 'Save cart' } },
  {
    expect: {
      storage: { key: 'cart', json: { '$.items.length': 2, '$.items[1].id': 9, '$.user': 'ann' } },
      cookie: { name: 'consent', contains: 'yes' },
    },
  },
  { expect: { storage: { key: 'cart', contains: '"user":"ann"' } } },
  { expect: { storage: { key: 'visits', area: 'session', equals: '1' } } },
  { reload: true },
  {
    expect: {
      storage: { key: 'visits', area: 'session', equals: '2' },
      cookie: { name: 'consent' },
    },
  },
  { dispatch: '#target', event: 'custom-ping' },
  { expect: { text: { locator: '#target', equals: 'pinged' } } },
  { click: { role: 'link', name: 'Home' } },
  { expect: { url: '/index.html' } },
  { back: true },
  { expect: { url: '/state.html' } },
  { forward: true },
  { expect: { url: '/index.html' } },
];

/** Each wrong expectation after the page is set up, and the runner's message for it. */
const failing: { name: string; step: unknown; error: string }[] = [
  {
    name: 'wrong storage path',
    step: { expect: { storage: { key: 'cart', json: { '$.items.length': 3 } } } },
    error: 'expected localStorage "cart": expected $.items.length = 3, got "2"',
  },
  {
    name: 'missing storage key',
    step: { expect: { storage: { key: 'nope', area: 'session' } } },
    error: 'expected sessionStorage "nope": it is not set',
  },
  {
    name: 'wrong cookie',
    step: { expect: { cookie: { name: 'consent', equals: 'no' } } },
    error: 'expected cookie "consent" to equal "no", got "yes-all"',
  },
  {
    name: 'not empty',
    step: { expect: { empty: { label: 'Filled' } } },
    error: 'expected label="Filled" to be empty, but it had content',
  },
  {
    name: 'not focused',
    step: { expect: { focused: { label: 'Filled' } } },
    error: 'expected label="Filled" to be focused, but focus was elsewhere',
  },
];
// Only the wrong expectation is short; the setup keeps the default timeout on a loaded machine.
const TIMEOUT = 1_500;
const withTimeout = (step: unknown): unknown => ({ ...(step as object), timeout: TIMEOUT });
const passingName = 'state passes';
const setup: unknown[] = [{ goto: '/state.html' }, { click: '#save' }, { wait: 600 }];

describe('history, dispatch, storage, cookie, empty and focused steps', () => {
  it('describe each new step for reports', () => {
    const [reload, dispatch, exp] = steps([
      { reload: true },
      { dispatch: '#target', event: 'input' },
      {
        expect: {
          storage: { key: 'cart', area: 'session', json: { '$.n': 2 } },
          cookie: { name: 'sid' },
          empty: '#a',
          focused: '#b',
        },
      },
    ]);
    expect([reload, dispatch, exp].map((s) => s && describeStep(s))).toEqual([
      'reload the page',
      'dispatch "input" on css="#target"',
      'expect css="#a" empty, css="#b" focused, sessionStorage "cart" $.n = 2, cookie "sid" is set',
    ]);
  });

  it('pass and fail alike in the runner and the exported spec', async () => {
    const r = await runTest(pool, runnerInput(base, server.url, passing));
    expect(r.status === 'passed' ? 'passed' : `step ${r.failedStep}: ${r.error}`).toBe('passed');
    const runner = await runWrongExpectations(pool, base, server.url, setup, failing, TIMEOUT);
    expect(runner).toEqual(failing.map((f) => `${f.name}: failed ${f.error}`));

    const cases = [
      { name: passingName, steps: passing },
      // toBeEmpty/toBeFocused are Playwright's own; the hand-written storage and cookie code is
      // what must fail as the runner does (fewer specs keep the file inside the CI budget).
      ...failing
        .filter((f) => /storage|cookie/.test(f.name))
        .map((f) => ({ name: f.name, steps: [...setup, withTimeout(f.step)] })),
    ];
    cases.forEach((c, i) => {
      const spec = exportPlaywrightSpec({
        name: c.name,
        steps: steps(c.steps),
        variables: {},
        tags: [],
      });
      writeFileSync(join(dir, `case${i}.spec.ts`), spec);
    });
    writeExportedConfig(dir, server.url);
    const run = await promisify(execFile)(
      resolve('node_modules/.bin/playwright'),
      [
        'test',
        '--config',
        join(dir, 'playwright.config.ts'),
        '--reporter=json',
        '--timeout=40000',
        '--trace=off',
      ],
      {
        cwd: dir,
        env: { ...process.env, BASE_URL: server.url, CI: '1', FORCE_COLOR: '0' },
        maxBuffer: 20 * 1024 * 1024,
        timeout: 200_000,
      },
    ).then(
      (x) => x.stdout,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    const outcomes = outcomesOf(run);
    expect(outcomes).toEqual(
      Object.fromEntries(cases.map((c, i) => [c.name, i === 0 ? 'expected' : 'unexpected'])),
    );
  }, 240_000);
});

function outcomesOf(stdout: string): Record<string, string> {
  // A test that should pass carries its error, so a failure says why.
  return Object.fromEntries(
    Object.entries(playwrightOutcomes(stdout)).map(([title, o]) => [
      title,
      o.status + (o.error && title === passingName ? `: ${o.error}` : ''),
    ]),
  );
}
