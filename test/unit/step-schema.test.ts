import { describe, expect, it } from 'vitest';
import {
  parseStep,
  parseTestDocument,
  testJsonSchema,
  TestValidationError,
} from '../../src/domain/test-definition.ts';
import { parseTestFile } from '../../src/domain/test-file.ts';
import { describeLocator } from '../../src/domain/locator.ts';
import { describeStep } from '../../src/domain/describe-step.ts';

function issuesOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TestValidationError) return e.message;
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('step language', () => {
  it('accepts every action in its documented forms', () => {
    const steps = [
      { goto: '/login' },
      { click: { role: 'button', name: 'Sign in' }, modifiers: ['Shift'] },
      { dblclick: '#row-1' },
      { fill: { label: 'Email' }, value: '{{USER_EMAIL}}' },
      { select: { label: 'Topic' }, option: ['Billing'] },
      { check: { label: 'Subscribe' } },
      { uncheck: { testId: 'newsletter' } },
      { press: 'Enter', on: { placeholder: 'Search' } },
      { hover: { text: 'Menu', exact: true } },
      { upload: { label: 'Attachment' }, files: 'data/a.txt' },
      { wait: 250 },
      { wait: { url: '/dashboard' } },
      { wait: { loadState: 'networkidle' } },
      { wait: { hidden: { css: '.spinner' } } },
      { expect: { url: '/dashboard', visible: { role: 'heading', name: 'Welcome' } } },
      { expect: { text: { locator: { testId: 'total' }, matches: '^\\d+ items$' } } },
      { expect: { count: { locator: 'table tr', min: 2 }, title: { contains: 'Acme' } } },
      { expect: { attribute: { locator: { alt: 'Logo' }, attribute: 'src', contains: 'logo' } } },
      { screenshot: 'home' },
      { screenshot: { name: 'table', locator: { role: 'table' }, fullPage: false } },
      {
        request: {
          url: '/api/items',
          expect: { status: 200, json: { '$.items[0].id': 1 } },
          capture: { ID: '$.items[0].id' },
        },
      },
      { set: 'ORDER', from: { testId: 'order-id' } },
      { set: 'GREETING', value: 'Hi {{NAME}}' },
      { xpath_is_not_an_action: 1, goto: '/' },
    ];
    const parsed = steps.slice(0, -1).map((s) => parseStep(s));
    for (const p of parsed) expect(p).toHaveProperty('step');
    expect(parseStep(steps.at(-1))).toHaveProperty('issues');
  });

  it('normalises shorthands', () => {
    expect(parseStep({ dblclick: '#row-1' })).toEqual({ step: { dblclick: { css: '#row-1' } } });
    expect(parseStep({ wait: 250 })).toEqual({ step: { wait: { ms: 250 } } });
    expect(parseStep({ screenshot: 'home' })).toEqual({ step: { screenshot: { name: 'home' } } });
    expect(parseStep({ expect: { url: '/x' } })).toEqual({
      step: { expect: { url: { equals: '/x' } } },
    });
  });

  it('rejects locators with no kind, two kinds, or a name without a role', () => {
    const a = parseStep({ click: { nth: 1 } });
    const b = parseStep({ click: { css: 'a', text: 'b' } });
    const c = parseStep({ click: { label: 'x', name: 'y' } });
    expect(JSON.stringify(a)).toContain('a locator needs one of');
    expect(JSON.stringify(b)).toContain('found text and css');
    expect(JSON.stringify(c)).toContain('only valid together with `role`');
  });

  it('rejects unknown keys, two actions and non-objects with a clear message', () => {
    expect(JSON.stringify(parseStep({ goto: '/', colour: 'red' }))).toContain('colour');
    expect(JSON.stringify(parseStep({ goto: '/', click: 'a' }))).toContain('found goto and click');
    expect(JSON.stringify(parseStep('goto /'))).toContain('a step is an object');
  });

  it('names the test and the step in errors', () => {
    const msg = issuesOf(() =>
      parseTestDocument({ name: 'Checkout', steps: [{ goto: '/' }, { fill: { label: 'Card' } }] }),
    );
    expect(msg).toContain('test "Checkout"');
    expect(msg).toContain('step 2');
    expect(msg).toContain('value');
  });

  it('asserts no console errors, optionally ignoring some by regex', () => {
    expect(parseStep({ expect: { noConsoleErrors: true } })).toEqual({
      step: { expect: { noConsoleErrors: true } },
    });
    const ignore = { expect: { noConsoleErrors: { ignore: ['favicon', '^ResizeObserver'] } } };
    expect(parseStep(ignore)).toEqual({ step: ignore });
    expect(parseStep({ expect: { noConsoleErrors: {} } })).toHaveProperty('step');
    expect(parseStep({ expect: { noConsoleErrors: false } })).toHaveProperty('issues');
    expect(parseStep({ expect: { noConsoleErrors: { skip: ['x'] } } })).toHaveProperty('issues');
    expect(parseStep({ expect: { noConsoleErrors: { ignore: [''] } } })).toHaveProperty('issues');
    // Still "at least one assertion": an empty expect is rejected, one with only this is not.
    expect(parseStep({ expect: {} })).toHaveProperty('issues');
    const described = (raw: unknown): string => {
      const p = parseStep(raw);
      if (!('step' in p)) throw new Error('expected a step');
      return describeStep(p.step);
    };
    expect(described({ expect: { noConsoleErrors: true } })).toBe('expect no console errors');
    expect(described(ignore)).toBe(
      'expect no console errors (ignoring /favicon/, /^ResizeObserver/)',
    );
    expect(described({ expect: { visible: 'h1', noConsoleErrors: true } })).toBe(
      'expect css="h1" visible, no console errors',
    );
  });

  it('requires a name and at least one step', () => {
    expect(issuesOf(() => parseTestDocument({ steps: [] }))).toMatch(
      /name[\s\S]*at least one step/,
    );
  });

  it('publishes a JSON Schema that lists every action', () => {
    const schema = JSON.stringify(testJsonSchema());
    for (const a of ['goto', 'click', 'fill', 'expect', 'request', 'set', 'upload', 'wait']) {
      expect(schema).toContain(`"${a}"`);
    }
  });

  it('describes locators for humans', () => {
    expect(describeLocator({ role: 'button', name: 'Save' })).toBe('role=button[name="Save"]');
    expect(describeLocator({ testId: 'x', nth: 2 })).toBe('testId="x" >> nth=2');
  });
});

describe('test files', () => {
  it('reads one test, a list, a tests group with suite and tags, and several YAML documents', () => {
    const one = parseTestFile('name: A\nsteps: [{ goto: / }]\n', 'a.yaml');
    expect(one).toHaveLength(1);
    const group = parseTestFile(
      'suite: auth\ntags: [smoke]\ntests:\n  - name: B\n    tags: [fast]\n    steps: [{ goto: / }]\n  - name: C\n    steps: [{ goto: /x }]\n',
      'g.yml',
    );
    expect(group.map((t) => [t.name, t.suite, t.tags])).toEqual([
      ['B', 'auth', ['smoke', 'fast']],
      ['C', 'auth', ['smoke']],
    ]);
    const docs = parseTestFile(
      'name: D\nsteps: [{goto: /}]\n---\nname: E\nsteps: [{goto: /}]\n',
      'm.yaml',
    );
    expect(docs.map((t) => t.name)).toEqual(['D', 'E']);
    const json = parseTestFile('[{"name":"F","steps":[{"goto":"/"}]}]', 'f.json');
    expect(json[0]?.name).toBe('F');
  });

  it('names the file, the test and the step for a bad file', () => {
    const msg = issuesOf(() =>
      parseTestFile(
        'tests:\n  - name: Good\n    steps: [{goto: /}]\n  - name: Bad\n    steps:\n      - goto: /\n      - clik: x\n',
        'suite.yaml',
      ),
    );
    expect(msg).toContain('suite.yaml › test "Bad" › step 2');
    expect(msg).toContain('unknown step');
  });

  it('reports broken YAML and JSON with the file name', () => {
    expect(issuesOf(() => parseTestFile('name: [unclosed', 'x.yaml'))).toContain(
      'x.yaml: not valid YAML',
    );
    expect(issuesOf(() => parseTestFile('{', 'x.json'))).toContain('x.json: not valid JSON');
    expect(issuesOf(() => parseTestFile('', 'empty.yaml'))).toContain('holds no test');
  });
});
