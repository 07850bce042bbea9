import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { findChromium } from '../../src/browser/find-chromium.ts';
import { exportPackageJson } from '../../src/export/package-files.ts';
import { exportPlaywrightConfig, exportPlaywrightSpec } from '../../src/export/playwright.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, steps, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

// The exported specs must behave like the runner: the same tests pass in both, and a wrong
// expectation fails in both. Specs live under test-results/ so they resolve @playwright/test.
const fixtures = resolve('test/fixtures/runner');
const base = tempBase();
let server: StaticServer;
let pool: BrowserPool;
let dir: string;

beforeAll(async () => {
  server = await startStaticServer(fixtures);
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  mkdirSync(resolve('test-results'), { recursive: true });
  dir = mkdtempSync(resolve('test-results', 'export-'));
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

interface ExportCase {
  file: string;
  name: string;
  tags?: string[];
  variables: Record<string, string>;
  steps: unknown[];
}

const tests: ExportCase[] = [
  {
    file: 'signup',
    name: "Sign up's happy path",
    tags: ['smoke'],
    variables: { EMAIL: 'user@example.com', COUNTRY: 'Germany' },
    steps: [
      { goto: '/' },
      {
        expect: {
          title: 'Fixture Home',
          visible: { role: 'heading', name: 'Welcome to the fixture' },
        },
      },
      { set: 'BUILD', from: { testId: 'build-id' } },
      { click: { role: 'link', name: 'Form' } },
      { expect: { url: '/form.html' } },
      { fill: { label: 'Email' }, value: '{{EMAIL}}' },
      { fill: { label: 'Password' }, value: '{{PASSWORD}}' },
      { fill: { placeholder: 'Your nickname' }, value: 'nick-{{BUILD}}' },
      { expect: { value: { locator: '#nick', equals: 'NICK-BUILD-42', ignoreCase: true } } },
      { select: { label: 'Country' }, option: '{{COUNTRY}}' },
      { expect: { disabled: { role: 'button', name: 'Create account' } } },
      { check: { label: 'Accept terms' } },
      {
        expect: {
          checked: { label: 'Accept terms' },
          enabled: { role: 'button', name: 'Create account' },
        },
      },
      { upload: { label: 'Attachment' }, files: 'hello.txt' },
      { expect: { text: { locator: '#files', equals: 'hello.txt' } } },
      { click: { role: 'button', name: 'Count', exact: true }, modifiers: ['Shift'] },
      { expect: { text: { locator: '#lastclick', equals: 'click+shift' } } },
      { hover: '#hoverzone' },
      { expect: { visible: { text: 'Tip shown' } } },
      { press: 'q', on: { label: 'Key box' } },
      { expect: { text: { locator: '#lastkey', matches: '^q$' } } },
      { click: { role: 'button', name: 'Create account' } },
      {
        expect: { text: { locator: '#result', contains: 'from de' }, url: { contains: 'done=1' } },
      },
      { screenshot: { name: 'done', fullPage: true } },
      { goto: '/table.html' },
      { expect: { count: { locator: '.row', min: 2, max: 3 } } },
      { expect: { count: { locator: { css: '.row', hasText: 'Paid' }, equals: 2 } } },
      {
        expect: {
          attribute: { locator: { css: 'a', nth: -1 }, attribute: 'href', contains: 'ref=table' },
        },
      },
      { wait: { visible: { xpath: '//td[text()="A-3"]' }, loadState: 'load' } },
    ],
  },
  {
    file: 'api',
    name: 'Items API',
    variables: {},
    steps: [
      {
        request: {
          url: '/api/items',
          expect: {
            status: 200,
            headers: { 'x-api-version': { matches: '^1\\.' } },
            json: { '$.total': 2, '$.items[-1].tags': ['a', 'b'], '$.items[0].id': '1' },
          },
          capture: { FIRST: '$.items[0].id' },
        },
      },
      {
        request: {
          method: 'POST',
          url: '/api/items',
          json: { name: 'n-{{FIRST}}' },
          expect: {
            status: [200, 201],
            json: { '$.name': 'n-1' },
            headers: { location: '/api/items/3' },
          },
          capture: { NEWID: '$.id' },
        },
      },
      {
        request: {
          url: '/api/items/{{NEWID}}',
          headers: { authorization: 'Bearer {{TOKEN}}' },
          expect: { status: 200, bodyContains: 'three' },
        },
      },
    ],
  },
  {
    file: 'wrong',
    name: 'Delayed page, wrong heading',
    variables: {},
    steps: [
      { goto: '/delayed.html' },
      { expect: { visible: { role: 'heading', name: 'Dashboard ready' } } },
      { expect: { text: { locator: { role: 'heading' }, contains: 'Welcome' } }, timeout: 1_000 },
    ],
  },
];

const env = { PASSWORD: 'hunter2', TOKEN: 's3cr3t-token' };

describe('exported Playwright specs', () => {
  it('pass and fail like the runner does', async () => {
    for (const t of tests) {
      const spec = exportPlaywrightSpec(
        { name: t.name, steps: steps(t.steps), variables: t.variables, tags: t.tags ?? [] },
        { secretNames: ['PASSWORD', 'TOKEN'] },
      );
      expect(spec).not.toContain('hunter2');
      writeFileSync(join(dir, `${t.file}.spec.ts`), spec);
    }
    writeFileSync(
      join(dir, 'playwright.config.ts'),
      exportPlaywrightConfig({ baseUrl: server.url, workers: 2, chromiumPath: findChromium() }),
    );
    // As `greenlight export` writes it: the folder is its own (CommonJS) package.
    writeFileSync(
      join(dir, 'package.json'),
      exportPackageJson('fixture', { playwright: '1.65.1' }),
    );
    mkdirSync(join(dir, 'test-data'));
    writeFileSync(join(dir, 'test-data', 'hello.txt'), 'hello');

    const cli = resolve('node_modules/.bin/playwright');
    const run = await promisify(execFile)(
      cli,
      ['test', '--config', join(dir, 'playwright.config.ts'), '--reporter=json'],
      {
        cwd: dir,
        env: { ...process.env, ...env, BASE_URL: server.url, CI: '1', FORCE_COLOR: '0' },
        maxBuffer: 20 * 1024 * 1024,
        timeout: 120_000,
      },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      }),
    );
    const report = parseReport(run.stdout, run.stderr);
    expect(report.outcomes).toEqual({
      "Sign up's happy path": 'expected',
      'Items API': 'expected',
      'Delayed page, wrong heading': 'unexpected',
    });
    expect(run.code).toBe(1);
    expect(report.errors['Delayed page, wrong heading']).toMatch(/toContainText/);

    // The runner agrees on each of them.
    for (const t of tests) {
      const r = await runTest(
        pool,
        runnerInput(base, server.url, t.steps, {
          variables: env,
          testDataDir: join(dir, 'test-data'),
          test: { name: t.name, variables: t.variables },
        }),
      );
      expect(`${t.name}: ${r.status} ${r.error ?? ''}`.trim()).toBe(
        t.file === 'wrong'
          ? `${t.name}: failed expected text of role=heading to contain "Welcome", got "Dashboard ready"`
          : `${t.name}: passed`,
      );
    }
  }, 120_000);
});

interface JsonSpec {
  title: string;
  tests: { status: string; results: { error?: { message?: string } }[] }[];
}
interface JsonSuite {
  specs?: JsonSpec[];
  suites?: JsonSuite[];
}

/** Outcome and first error per test title from Playwright's JSON reporter. */
function parseReport(
  stdout: string,
  stderr: string,
): {
  outcomes: Record<string, string>;
  errors: Record<string, string>;
} {
  let json: { suites: JsonSuite[] };
  try {
    json = JSON.parse(stdout) as { suites: JsonSuite[] };
  } catch {
    throw new Error(`playwright test printed no JSON report:\n${stdout}\n${stderr}`);
  }
  const outcomes: Record<string, string> = {};
  const errors: Record<string, string> = {};
  const walk = (s: JsonSuite): void => {
    for (const spec of s.specs ?? []) {
      const t = spec.tests[0];
      outcomes[spec.title] = t?.status ?? 'missing';
      errors[spec.title] = t?.results[0]?.error?.message ?? '';
    }
    for (const child of s.suites ?? []) walk(child);
  };
  for (const s of json.suites) walk(s);
  return { outcomes, errors };
}
