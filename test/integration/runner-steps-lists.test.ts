import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { describeStep } from '../../src/domain/describe-step.ts';
import { parseTestDocument, type TestValidationError } from '../../src/domain/test-definition.ts';
import { exportPlaywrightSpec } from '../../src/export/playwright.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, runWrongExpectations, steps, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { playwrightOutcomes, writeExportedConfig } from '../helpers/playwright-report.ts';

// Lists of texts and classes, `not`, chained and filtered locators and `within` blocks: the
// runner in real Chromium and the exported spec under Playwright Test pass the same test and
// fail the same wrong expectations.
const fixtures = resolve('test/fixtures/runner');
const base = tempBase();
let server: StaticServer;
let pool: BrowserPool;
let dir: string;

beforeAll(async () => {
  server = await startStaticServer(fixtures);
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  mkdirSync(resolve('test-results'), { recursive: true });
  dir = mkdtempSync(resolve('test-results', 'lists-'));
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const todos = { testId: 'todo', within: { testId: 'todos' } };

const passing: unknown[] = [
  { goto: '/lists.html' },
  // Lists of texts: same order and count; items as strings, contains or patterns; in order.
  { expect: { texts: { locator: todos, equals: ['Buy milk', 'Walk dog', 'Read book'] } } },
  {
    expect: {
      texts: {
        locator: todos,
        equals: ['buy MILK', { contains: 'dog' }, { matches: '^read' }],
        ignoreCase: true,
      },
    },
  },
  { expect: { texts: { locator: todos, contains: ['milk', 'book'] } } },
  // Classes: the whole attribute, contained classes, a pattern, and one per element.
  {
    expect: {
      class: { locator: { ...todos, nth: 1 }, equals: 'todo completed' },
      not: { class: { locator: { ...todos, nth: 'first' }, contains: 'completed' } },
    },
  },
  { expect: { class: { locator: { ...todos, nth: 'last' }, matches: '^todo$' } } },
  {
    expect: {
      class: { locator: todos, equals: ['todo', { matches: 'completed' }, 'todo'] },
    },
  },
  { expect: { class: { locator: todos, contains: ['todo', 'completed todo', ''] } } },
  // Chained and filtered locators act on the right row.
  { check: { role: 'checkbox', within: { role: 'listitem', hasText: 'Read book' } } },
  {
    expect: {
      class: { locator: { css: 'li', hasText: 'Read book' }, contains: 'completed' },
      text: { locator: '#left', equals: '1 item left' },
      count: { locator: { role: 'row', has: { role: 'button', name: 'Pay' } }, equals: 1 },
    },
  },
  {
    expect: {
      count: {
        locator: { role: 'row', hasNot: { role: 'button' }, hasNotText: 'Unpaid' },
        equals: 2,
      },
      texts: {
        locator: { role: 'cell', within: { role: 'row', hasText: 'Paid', hasNotText: 'Unpaid' } },
        equals: ['Invoice 1', 'Paid', '', 'Invoice 3', 'Paid', ''],
      },
    },
  },
  // Old raw `>>` selector strings keep working.
  { expect: { text: { locator: '[data-testid=todos] >> li >> nth=2', equals: 'Read book' } } },
  // A list that grows late: the expectation retries until it holds.
  { click: { role: 'button', name: 'Add later' } },
  {
    expect: {
      texts: { locator: todos, equals: ['Buy milk', 'Walk dog', 'Read book', 'Water plants'] },
    },
  },
  // within: several steps in one container; "Buy milk" alone would match two items.
  {
    within: { testId: 'archive' },
    steps: [
      { expect: { texts: { locator: { role: 'listitem' }, equals: ['Buy milk Restore'] } } },
      { click: { role: 'button', name: 'Restore' } },
      { expect: { text: { locator: '#restored', equals: 'Restored Buy milk' } } },
    ],
  },
  // not: Playwright's semantics; a missing attribute, storage entry or cookie satisfies it.
  {
    expect: {
      not: {
        attribute: { locator: '#help', attribute: 'target' },
        visible: { text: 'Hidden note' },
        hidden: { role: 'link', name: 'Help' },
        checked: { role: 'checkbox', within: { role: 'listitem', hasText: 'Buy milk', nth: 0 } },
        disabled: { label: 'Name' },
        text: { locator: '#left', contains: '3 items' },
        texts: { locator: todos, equals: ['Buy milk'] },
        value: { locator: { label: 'Name' }, equals: 'bob' },
        count: { locator: todos, min: 5 },
        url: { contains: 'other' },
        title: 'Other',
        empty: { label: 'Name' },
        focused: { label: 'Name' },
        storage: { key: 'missing' },
        cookie: { name: 'missing' },
      },
    },
  },
  // Storage JSON compares like request JSON: "2" equals the number 2 (in the export too).
  { expect: { storage: { key: 'prefs', json: { '$.count': '2', '$.tags': ['a'] } } } },
  { expect: { not: { storage: { key: 'prefs', json: { '$.count': 3 } } } } },
];

/** Each wrong expectation after the page loads, and the runner's message for it. */
const failing: { name: string; step: unknown; error: string; exported: RegExp }[] = [
  {
    name: 'texts differ',
    exported: /toHaveText/,
    step: { expect: { texts: { locator: todos, equals: ['Buy milk', 'Walk cat', 'Read book'] } } },
    error: [
      'expected texts of testId="todos" >> testId="todo" to be ["Buy milk", "Walk cat", "Read book"], got 3 elements (- expected, + received):',
      '      "Buy milk"',
      '    - "Walk cat"',
      '    + "Walk dog"',
      '      "Read book"',
    ].join('\n'),
  },
  {
    name: 'texts one missing',
    exported: /toHaveText/,
    step: { expect: { texts: { locator: todos, equals: ['Buy milk', 'Read book'] } } },
    error: [
      'expected texts of testId="todos" >> testId="todo" to be ["Buy milk", "Read book"], got 3 elements (- expected, + received):',
      '      "Buy milk"',
      '    + "Walk dog"',
      '      "Read book"',
    ].join('\n'),
  },
  {
    name: 'texts not in order',
    exported: /toContainText/,
    step: { expect: { texts: { locator: todos, contains: ['book', 'milk'] } } },
    error: [
      'expected texts of testId="todos" >> testId="todo" to contain, in order, [contains "book", contains "milk"], got 3 elements (- expected, + received):',
      '    - contains "book"',
      '      "Buy milk"',
      '      "Walk dog"',
      '      "Read book"',
    ].join('\n'),
  },
  {
    name: 'class differs',
    exported: /toHaveClass/,
    step: { expect: { class: { locator: { ...todos, nth: 0 }, equals: 'todo completed' } } },
    error:
      'expected class of testId="todos" >> testId="todo" >> nth=0 to equal "todo completed", got "todo"',
  },
  {
    name: 'class list differs',
    exported: /toContainClass/,
    step: { expect: { class: { locator: todos, contains: ['', '', 'completed'] } } },
    error: [
      'expected class of testId="todos" >> testId="todo" to have, one per element, [has "", has "", has "completed"], got 3 elements (- expected, + received):',
      '      "todo"',
      '      "todo completed"',
      '    - has "completed"',
      '    + "todo"',
    ].join('\n'),
  },
  {
    name: 'not attribute present',
    exported: /not\.toHaveAttribute/,
    step: { expect: { not: { attribute: { locator: '#name', attribute: 'value' } } } },
    error: 'expected attribute "value" of css="#name" to be absent, got "ann"',
  },
  {
    name: 'not texts equal',
    exported: /not\.toContainText/,
    step: { expect: { not: { texts: { locator: todos, contains: ['milk'] } } } },
    error:
      'expected texts of testId="todos" >> testId="todo" not to contain, in order, [contains "milk"], but they were ["Buy milk", "Walk dog", "Read book"]',
  },
  {
    name: 'not storage set',
    exported: /expect\(received\)\.toBe\(expected\)[\s\S]*Expected: false/,
    step: { expect: { not: { storage: { key: 'prefs' } } } },
    error:
      'expected localStorage "prefs" not to be set, got "{\\"count\\":2,\\"tags\\":[\\"a\\"]}"',
  },
  {
    name: 'filtered count',
    exported: /toHaveCount/,
    step: {
      expect: {
        count: { locator: { role: 'row', has: { role: 'button', name: 'Pay' } }, equals: 2 },
      },
    },
    error: 'expected count of role=row >> has(role=button[name="Pay"]) to be 2, got 1',
  },
];
// Only the wrong expectation is short; the page load keeps the default timeout on a loaded machine.
const TIMEOUT = 1_500;
const withTimeout = (step: unknown): unknown => ({ ...(step as object), timeout: TIMEOUT });
const passingName = 'lists pass';
const setup: unknown[] = [{ goto: '/lists.html' }];

describe('lists, classes, not, chained locators and within blocks', () => {
  it('parse, scope within blocks and describe each new step for reports', () => {
    const parsed = steps([
      {
        within: { testId: 'cart' },
        steps: [
          { click: { role: 'button', name: 'Pay', within: { role: 'row', nth: 'last' } } },
          {
            expect: {
              texts: { locator: 'li', equals: ['a', { matches: 'b+' }] },
              not: { class: { locator: 'li', contains: 'done' } },
            },
          },
        ],
      },
      {
        expect: {
          class: {
            locator: { css: 'li', has: { text: 'x' }, hasNot: 'em', hasNotText: 'y' },
            equals: ['a', 'b'],
          },
        },
      },
    ]);
    expect(parsed.map(describeStep)).toEqual([
      'click testId="cart" >> role=row >> nth=-1 >> role=button[name="Pay"]',
      'expect texts of testId="cart" >> css="li" = ["a", /b+/], not (class of testId="cart" >> css="li" contains "done")',
      'expect class of css="li" >> hasNotText="y" >> has(text="x") >> hasNot(css="em") = ["a", "b"]',
    ]);
    const bad = (raw: unknown[]): string => {
      try {
        parseTestDocument({ name: 'bad', steps: raw });
        return 'valid';
      } catch (e) {
        return (e as TestValidationError).message;
      }
    };
    expect(bad([{ within: '#x', steps: [{ clik: 'a' }] }])).toMatch(
      /step 1 › steps\[0\]: unknown step \(keys: clik\)/,
    );
    expect(
      bad([{ expect: { not: { text: { locator: 'a', equals: 'b', contains: 'c' } } } }]),
    ).toMatch(/expect\.not\.text: inside not, text takes one comparison/);
    expect(bad([{ expect: { not: { noConsoleErrors: true } } }])).toMatch(/noConsoleErrors/);
    expect(bad([{ expect: { texts: { locator: 'li', equals: ['a'], contains: ['b'] } } }])).toMatch(
      /texts takes exactly one of equals \(a list\) or contains \(a list\)/,
    );
    expect(bad([{ click: { css: 'li', nth: 'middle' } }])).not.toBe('valid');
  });

  it('pass and fail alike in the runner and the exported spec', async () => {
    const r = await runTest(pool, runnerInput(base, server.url, passing));
    expect(r.status === 'passed' ? 'passed' : `step ${r.failedStep}: ${r.error}`).toBe('passed');
    const runner = await runWrongExpectations(pool, base, server.url, setup, failing, TIMEOUT);
    expect(runner).toEqual(failing.map((f) => `${f.name}: failed ${f.error}`));

    const cases = [
      { name: passingName, steps: passing },
      ...failing.map((f) => ({ name: f.name, steps: [...setup, withTimeout(f.step)] })),
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
    expect(Object.fromEntries(Object.entries(outcomes).map(([k, o]) => [k, o.status]))).toEqual(
      Object.fromEntries(cases.map((c, i) => [c.name, i === 0 ? 'expected' : 'unexpected'])),
    );
    // Each exported failure is the assertion the step became, not a broken spec.
    for (const f of failing) expect(outcomes[f.name]?.error, f.name).toMatch(f.exported);
  }, 240_000);
});

function outcomesOf(stdout: string): Record<string, { status: string; error: string }> {
  // A test that should pass carries its error in its status, so a failure says why.
  return Object.fromEntries(
    Object.entries(playwrightOutcomes(stdout)).map(([title, o]) => {
      const error = stripVTControlCharacters(o.error);
      const status = o.status + (error && title === passingName ? `: ${error}` : '');
      return [title, { status, error }];
    }),
  );
}
