import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { MASK } from '../../src/domain/variables.ts';
import { runTest, type TestOutcome } from '../../src/runner/run-test.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

const fixtures = resolve('test/fixtures/runner');
const base = tempBase();
let pool: BrowserPool;
let server: StaticServer;

beforeAll(async () => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  server = await startStaticServer(fixtures);
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

// The failing step never succeeds, so its timeout only has to outlast the page's own work.
const short = 1_000;

// At most this many tests in a browser at once: two cores, and the timeouts above are short.
let running = 0;
const queue: (() => void)[] = [];
async function limited<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 3) await new Promise<void>((r) => queue.push(r));
  running += 1;
  try {
    return await f();
  } finally {
    running -= 1;
    queue.shift()?.();
  }
}

/**
 * Elements the failing step reads, by case: waited for first with time to spare, so on a busy
 * machine only the check itself runs against the short timeout.
 */
const present: Record<string, unknown> = {
  'visible, hidden element': '#tip',
  hidden: { role: 'heading' },
  enabled: { role: 'button', name: 'Create account' },
  disabled: { role: 'button', name: 'Count', exact: true },
  checked: { label: 'Accept terms' },
  'text contains': { role: 'heading', name: 'Welcome to the fixture' },
  'text equals': 'h1',
  'text matches': 'h1',
  value: { label: 'Country' },
  'attribute value': '#detail',
  'attribute missing': '#detail',
  count: { css: '.row', nth: 0 },
  'count min': { css: '.row', nth: 0 },
  'click, disabled': { role: 'button', name: 'Never enabled' },
  'strict mode': { role: 'link', name: 'Form' },
  'fill, not an input': 'h1',
  'select, no option': { label: 'Country' },
  'set from missing attribute': 'h1',
};

/** Run `page` then `step` (then one step that must be skipped) and return the outcome. */
async function failing(
  page: string,
  step: unknown,
  extra = {},
  warm: unknown = 'body',
): Promise<TestOutcome> {
  const warmUp = { wait: { attached: warm }, timeout: 15_000 };
  return limited(() =>
    runTest(
      pool,
      // Only the step under test gets the short timeout: loading the page and Playwright's first
      // locator (it injects its script then) may be slow on a busy CI.
      runnerInput(
        base,
        server.url,
        [{ goto: page, timeout: 15_000 }, warmUp, step, { goto: '/' }],
        {
          testDataDir: join(fixtures, 'data'),
          ...extra,
          test: { stepTimeoutMs: short },
        },
      ),
    ),
  );
}

// Independent short runs: run them a few at a time to keep the file fast on two cores.
describe.concurrent('runTest with failing steps', () => {
  const cases: [string, string, unknown, RegExp | string][] = [
    [
      'visible, no match',
      '/',
      { expect: { visible: { role: 'button', name: 'Nope' } } },
      `expected role=button[name="Nope"] to be visible, but no element matched after ${short} ms`,
    ],
    [
      'visible, hidden element',
      '/form.html',
      { expect: { visible: '#tip' } },
      `expected css="#tip" to be visible, but it was hidden after ${short} ms`,
    ],
    [
      'hidden',
      '/',
      { expect: { hidden: { role: 'heading' } } },
      `expected role=heading to be hidden, but it was still visible after ${short} ms`,
    ],
    [
      'enabled',
      '/form.html',
      { expect: { enabled: { role: 'button', name: 'Create account' } } },
      'expected role=button[name="Create account"] to be enabled, but it was disabled',
    ],
    [
      'disabled',
      '/form.html',
      { expect: { disabled: { role: 'button', name: 'Count', exact: true } } },
      'expected role=button[name="Count"] to be disabled, but it was enabled',
    ],
    [
      'checked',
      '/form.html',
      { expect: { checked: { label: 'Accept terms' } } },
      'expected label="Accept terms" to be checked, but it was not checked',
    ],
    [
      'checked, no element',
      '/form.html',
      { expect: { checked: { label: 'Nothing' } } },
      `expected label="Nothing" to be checked, but no element matched within ${short} ms`,
    ],
    [
      'text contains',
      '/',
      {
        expect: {
          text: { locator: { role: 'heading', name: 'Welcome to the fixture' }, contains: 'Hello' },
        },
      },
      'expected text of role=heading[name="Welcome to the fixture"] to contain "Hello", got "Welcome to the fixture"',
    ],
    [
      'text equals',
      '/',
      { expect: { text: { locator: 'h1', equals: 'Welcome' } } },
      'expected text of css="h1" to equal "Welcome", got "Welcome to the fixture"',
    ],
    [
      'text matches',
      '/',
      { expect: { text: { locator: 'h1', matches: '^\\d+$' } } },
      'expected text of css="h1" to match /^\\d+$/, got "Welcome to the fixture"',
    ],
    [
      'text, no element',
      '/',
      { expect: { text: { locator: '#none', equals: 'x' } } },
      `expected text of css="#none" to equal "x", but no element matched within ${short} ms`,
    ],
    [
      'value',
      '/form.html',
      { expect: { value: { locator: { label: 'Country' }, equals: 'de', ignoreCase: true } } },
      'expected value of label="Country" to equal "de" (ignoring case), got ""',
    ],
    [
      'attribute value',
      '/table.html',
      { expect: { attribute: { locator: '#detail', attribute: 'href', equals: '/orders' } } },
      'expected attribute "href" of css="#detail" to equal "/orders", got "/orders/A-3?ref=table"',
    ],
    [
      'attribute missing',
      '/table.html',
      { expect: { attribute: { locator: '#detail', attribute: 'target' } } },
      'expected attribute "target" of css="#detail" to be present, but the attribute is missing',
    ],
    [
      'count',
      '/table.html',
      { expect: { count: { locator: '.row', equals: 5 } } },
      'expected count of css=".row" to be 5, got 3',
    ],
    [
      'count min',
      '/table.html',
      { expect: { count: { locator: '.row', min: 4, max: 9 } } },
      'expected count of css=".row" to be at least 4 and at most 9, got 3',
    ],
    [
      'url',
      '/table.html',
      { expect: { url: '/orders' } },
      'expected URL to equal "URL/orders", got "URL/table.html"',
    ],
    [
      'title',
      '/table.html',
      { expect: { title: { contains: 'Nope' } } },
      'expected title to contain "Nope", got "Orders"',
    ],
    [
      'click, no element',
      '/',
      { click: { role: 'button', name: 'Ghost' } },
      `click role=button[name="Ghost"]: timed out after ${short} ms (waiting for getByRole('button', { name: 'Ghost' }))`,
    ],
    [
      'click, disabled',
      '/form.html',
      { click: { role: 'button', name: 'Never enabled' } },
      // The last thing Playwright logged before the timeout: under load it may not have got to
      // its "not enabled" verdict yet, only to resolving the (disabled) button.
      new RegExp(
        `^click role=button\\[name="Never enabled"\\]: timed out after ${short} ms \\(waiting for getByRole\\('button', \\{ name: 'Never enabled' \\}\\); (element is not enabled|locator resolved to <button disabled type="button">Never enabled</button>)\\)$`,
      ),
    ],
    [
      'strict mode',
      '/',
      { click: { role: 'link' } },
      /^click role=link: strict mode violation: getByRole\('link'\) resolved to 3 elements: 1\) <a href="\/form.html">Form<\/a>/,
    ],
    [
      'fill, not an input',
      '/',
      { fill: 'h1', value: 'x' },
      // Under heavy load the 1 s step may end before Playwright got to look at the element.
      /^fill css="h1" with "x": (.*not an <input>|timed out after \d+ ms \(waiting for locator\('h1'\)\))/,
    ],
    [
      'select, no option',
      '/form.html',
      { select: { label: 'Country' }, option: 'Mars' },
      /^select "Mars" in label="Country": timed out after 1000 ms/,
    ],
    [
      'upload outside test data',
      '/form.html',
      { upload: '#file', files: '../index.html' },
      'upload ../index.html to css="#file": upload file "../index.html" is outside the test-data folder',
    ],
    [
      'upload missing file',
      '/form.html',
      { upload: '#file', files: 'nope.txt' },
      'upload nope.txt to css="#file": upload file "nope.txt" not found in test data',
    ],
    [
      'goto file URL',
      '/',
      { goto: 'file:///etc/passwd' },
      'goto file:///etc/passwd: cannot navigate to file: URLs; use http or https',
    ],
    [
      'wait',
      '/',
      { wait: { visible: '#later' } },
      /^wait css="#later" visible: timed out after 1000 ms/,
    ],
    [
      'set from missing attribute',
      '/',
      { set: 'X', from: 'h1', attribute: 'data-x' },
      'set X from attribute "data-x" of css="h1": css="h1" has no attribute "data-x"',
    ],
    [
      'request expectations',
      '/',
      {
        request: {
          url: '/api/items',
          expect: {
            status: 201,
            json: { '$.total': 3, '$.nope[0]': 1 },
            headers: { 'x-missing': 'a' },
            bodyContains: 'zebra',
          },
        },
      },
      'request GET /api/items: expected status 201, got 200; expected header x-missing to equal "a", but it is missing; expected $.total to equal 3, got 2; expected $.nope[0] to equal 1, got nothing (path not found); expected the body to contain "zebra", got ' +
        '"{\\"items\\":[{\\"id\\":1,\\"name\\":\\"one\\"},{\\"id\\":2,\\"name\\":\\"two\\",\\"tags\\":[\\"a\\",\\"b\\"]}],\\"total\\":2}"',
    ],
    [
      'request, not JSON',
      '/',
      { request: { url: '/api/text', expect: { json: { '$.a': 1 } } } },
      'request GET /api/text: response of ' + 'URL/api/text is not JSON: "plain hello"',
    ],
    [
      'request, bad path',
      '/',
      { request: { url: '/api/items', expect: { json: { 'items[0]': 1 } } } },
      'request GET /api/items: JSON path "items[0]" must start with $',
    ],
    [
      'capture missing',
      '/',
      { request: { url: '/api/items', capture: { X: '$.nope' } } },
      'request GET /api/items: capture X: $.nope not found in the response',
    ],
  ];

  it.each(cases)('%s', { timeout: 30_000 }, async (name, page, step, message) => {
    // A request's expectations are checked once it answers: its time is not under test, and on a
    // loaded machine the answer may take more than the short step timeout.
    const timed =
      typeof step === 'object' && step !== null && 'request' in step
        ? { ...step, timeout: 15_000 }
        : step;
    const r = await failing(page, timed, {}, present[name]);
    const want =
      typeof message === 'string' ? message.replaceAll('URL/', `${server.url}/`) : message;
    expect({ status: r.status, failedStep: r.failedStep }).toEqual({
      status: 'failed',
      failedStep: 2,
    });
    if (typeof want === 'string') expect(r.error).toBe(want);
    else expect(r.error).toMatch(want);
    expect(r.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed', 'skipped']);
    expect(r.steps[2]?.error).toBe(r.error);
  });

  it('saves a screenshot of the page at the failing step', async () => {
    const r = await failing('/table.html', {
      expect: { text: { locator: '#detail', equals: 'x' } },
    });
    expect(r.artifacts.screenshot).toMatch(/^artifacts\/t\d+\/failure\.png$/);
    const file = join(base, r.artifacts.screenshot ?? '');
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });

  it('lists screenshots it could not take as missing, with the reason', async () => {
    const r = await runTest(
      pool,
      runnerInput(
        base,
        server.url,
        [{ goto: '/frozen.html' }, { wait: 300 }, { expect: { visible: 'h1' }, timeout: 500 }],
        // A frozen page never paints: 1.5 s is as telling as the runner's 10 s default.
        { screenshots: 'every-step', screenshotTimeoutMs: 1_500 },
      ),
    );
    expect(r.status).not.toBe('passed');
    const names = (r.artifacts.missing ?? []).map((m) => m.name);
    // The page froze while its steps ran: the shots time out and are listed, not silently absent.
    expect(names).toContain('step-2');
    for (const m of r.artifacts.missing ?? []) expect(m.reason).toMatch(/timeout|timed out/i);
    r.steps.forEach((step, i) => {
      if (step.status !== 'passed') return;
      const taken = (r.artifacts.screenshots ?? []).some((sh) => sh.step === i);
      const listed = names.includes(`step-${i + 1}`);
      expect(taken || listed, `step ${i + 1}`).toBe(true);
    });
    expect(r.artifacts.screenshot !== undefined || names.includes('failure')).toBe(true);
  }, 90_000);

  it('masks secrets in error messages and descriptions', async () => {
    const r = await limited(() =>
      runTest(
        pool,
        runnerInput(
          base,
          server.url,
          [
            { goto: '/form.html', timeout: 15_000 },
            { fill: { label: 'Password' }, value: 'pw-{{PASSWORD}}', timeout: 15_000 },
            { expect: { value: { locator: { label: 'Password' }, equals: 'other' } } },
          ],
          {
            variables: { PASSWORD: 'correct horse' },
            secrets: ['correct horse'],
            test: { stepTimeoutMs: short },
          },
        ),
      ),
    );
    expect(r.error).toBe(`expected value of label="Password" to equal "other", got "pw-${MASK}"`);
    expect(r.steps[1]?.description).toBe(`fill label="Password" with "pw-${MASK}"`);
    expect(JSON.stringify(r)).not.toMatch(/correct horse|correct%20horse/);
  });

  it('is an error, not a failure, when a variable is unknown', async () => {
    const r = await failing('/', { fill: 'h1', value: '{{NOPE}}' });
    expect(r).toMatchObject({
      status: 'error',
      failedStep: 2,
      error: 'unknown variable {{NOPE}} in step 3',
    });
    expect(r.steps[2]?.description).toBe('fill css="h1" with "{{NOPE}}"');
  });
});

describe.concurrent('runTest with noConsoleErrors', () => {
  // errors.html logs a console error at once and throws from a timer before its fetch settles.
  const settled = { wait: { visible: '#done' }, timeout: 15_000 };

  it('fails listing the recorded errors, masked, and passes once they are ignored', async () => {
    const [failed, ignored] = await Promise.all([
      limited(() =>
        runTest(
          pool,
          runnerInput(
            base,
            server.url,
            [
              { goto: '/errors.html', timeout: 15_000 },
              settled,
              { expect: { noConsoleErrors: true } },
            ],
            { secrets: ['widget'] },
          ),
        ),
      ),
      limited(() =>
        runTest(
          pool,
          runnerInput(base, server.url, [
            { goto: '/errors.html', timeout: 15_000 },
            settled,
            {
              expect: {
                noConsoleErrors: { ignore: ['failed to load', '^uncaught boom$', '404'] },
              },
            },
          ]),
        ),
      ),
    ]);
    expect(failed).toMatchObject({ status: 'failed', failedStep: 2 });
    expect(failed.steps[2]?.description).toBe('expect no console errors');
    expect(failed.error).toMatch(/^expected no console errors, got \d+: /);
    expect(failed.error).toContain(`console error "${MASK} failed to load"`);
    expect(failed.error).toContain('uncaught error "uncaught boom"');
    expect(JSON.stringify(failed)).not.toContain('widget');
    expect(ignored.error).toBeNull();
    expect(ignored.status).toBe('passed');
  });

  it('passes on a page without errors', async () => {
    const r = await limited(() =>
      runTest(
        pool,
        runnerInput(base, server.url, [
          { goto: '/', timeout: 15_000 },
          { expect: { noConsoleErrors: true, visible: 'h1' } },
        ]),
      ),
    );
    expect(r.error).toBeNull();
    expect(r.status).toBe('passed');
  });
});

describe('runTest timeouts, cancellation and trace', () => {
  it('fails a step that hangs after its step timeout', async () => {
    const t0 = Date.now();
    const r = await runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/' }, { goto: '/__hang', timeout: 500 }]),
    );
    expect(r).toMatchObject({ status: 'failed', failedStep: 1 });
    expect(r.error).toMatch(/^goto \/__hang: timed out after 500 ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.artifacts.screenshot).toBeDefined();
  });

  it('fails a test over its budget with "test timed out", on a page that never answers', async () => {
    const r = await runTest(
      pool,
      runnerInput(
        base,
        server.url,
        [{ goto: '/' }, { goto: '/__hang?budget', timeout: 20_000 }, { goto: '/' }],
        { test: { timeoutMs: 1_200, stepTimeoutMs: null } },
      ),
    );
    expect(r).toMatchObject({ status: 'failed', failedStep: 1 });
    expect(r.error).toBe('test timed out after 1200 ms in step 2 (goto /__hang?budget)');
    expect(r.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'skipped']);
    // The budget ended it (the message says so), not the 20 s step timeout. The screenshot of
    // the hung page may be slow on a loaded machine; taken or missing, it is accounted for.
    expect(r.artifacts.screenshot ?? r.artifacts.missing?.[0]?.name).toBeDefined();
  });

  it('counts an explicit wait against the test budget', async () => {
    const r = await runTest(
      pool,
      runnerInput(base, server.url, [{ wait: 30_000 }], { test: { timeoutMs: 400 } }),
    );
    expect(r).toMatchObject({
      status: 'failed',
      failedStep: 0,
      error: 'test timed out after 400 ms in step 1 (wait 30000 ms)',
    });
  });

  it('stops quickly when its signal aborts, with status error "cancelled"', async () => {
    const ac = new AbortController();
    const pending = runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/' }, { goto: '/__hang?cancel' }, { goto: '/' }], {
        signal: ac.signal,
        test: { stepTimeoutMs: 20_000 },
      }),
    );
    await server.waitForRequest('/__hang?cancel');
    const t0 = Date.now();
    ac.abort();
    const r = await pending;
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(r).toMatchObject({ status: 'error', error: 'cancelled', failedStep: null });
    expect(r.steps.map((s) => s.status)).toEqual(['passed', 'skipped', 'skipped']);
  });

  it('does not start when the signal is already aborted', async () => {
    const r = await runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/' }], { signal: AbortSignal.abort() }),
    );
    expect(r).toMatchObject({ status: 'error', error: 'cancelled', failedStep: null });
  });

  it('writes a Playwright trace when asked', async () => {
    const r = await runTest(
      pool,
      runnerInput(base, server.url, [{ goto: '/' }, { click: { role: 'link', name: 'Table' } }], {
        trace: true,
      }),
    );
    expect(r.status).toBe('passed');
    expect(r.artifacts.trace).toMatch(/^artifacts\/t\d+\/trace\.zip$/);
    const file = join(base, r.artifacts.trace ?? '');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).subarray(0, 2).toString()).toBe('PK');
  });
});
