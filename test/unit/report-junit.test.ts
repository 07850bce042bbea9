import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit, xmlEscape } from '../../src/report/junit.ts';
import { NASTY, sampleInput } from '../fixtures/report/sample-run.ts';
import { junitErrors } from '../fixtures/report/validators.ts';

interface Node {
  [k: string]: unknown;
}

const parse = (xml: string): Node =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase', 'property', 'flakyFailure'].includes(name),
  }).parse(xml) as Node;

describe('JUnit report', () => {
  it('is valid against the JUnit XSD, with hostile text and every outcome', async () => {
    const xml = renderJunit(sampleInput());
    expect(await junitErrors(xml)).toEqual([]);
  });

  it('rejects what the XSD forbids (the validator really validates)', async () => {
    const xml = renderJunit(sampleInput()).replace('tests="5"', 'tests="five"');
    expect((await junitErrors(xml)).length).toBeGreaterThan(0);
  });

  it('has totals, one suite per suite and one testcase per test with real durations', () => {
    const doc = parse(renderJunit(sampleInput()));
    const root = doc.testsuites as Node;
    expect(root).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '1' });
    const suites = root.testsuite as Node[];
    expect(suites.map((s) => s.name)).toEqual(['catalog', 'contact', 'demo', 'auth']);
    const catalog = suites[0] as Node;
    expect(catalog).toMatchObject({ tests: '2', failures: '1', time: '3.734' });
    const [pass, fail] = catalog.testcase as Node[];
    expect(pass).toMatchObject({
      name: 'Product list filters',
      classname: 'catalog',
      time: '1.234',
    });
    const failure = (fail as Node).failure as Node;
    expect(failure.type).toBe('TestFailed.expect');
    expect(failure.message).toMatch(/^expect text failed: expected "Showing 5"/);
    const body = String(failure['#text']);
    expect(body).toContain('Failing step 3: expect text "Step 2"');
    expect(body).toContain('Screenshot: runs/run-1/t-fail/failure.png');
    expect(body).toContain('Trace: runs/run-1/t-fail/trace.zip');
    expect(String((fail as Node)['system-err'])).toContain('Uncaught TypeError');
    expect(String((fail as Node)['system-out'])).toContain(
      '[[ATTACHMENT|runs/run-1/t-fail/failure.png]]',
    );
  });

  it('writes errors as <error>, skipped as <skipped/> and the project slug as classname', () => {
    const doc = parse(renderJunit(sampleInput()));
    const suites = (doc.testsuites as Node).testsuite as Node[];
    const error = ((suites[1] as Node).testcase as Node[])[0] as Node;
    expect((error.error as Node).message).toBe('browser crashed');
    const skipped = ((suites[2] as Node).testcase as Node[])[0] as Node;
    expect(skipped.classname).toBe('demo');
    expect(skipped).toHaveProperty('skipped');
  });

  it('collapses retries: a test that passed on a retry is one passing testcase with flakyFailure', () => {
    const doc = parse(renderJunit(sampleInput()));
    const auth = ((doc.testsuites as Node).testsuite as Node[])[3] as Node;
    const cases = auth.testcase as Node[];
    expect(cases).toHaveLength(1);
    const flaky = cases[0] as Node;
    expect(flaky).not.toHaveProperty('failure');
    expect(flaky.time).toBe('0.900');
    const attempts = flaky.flakyFailure as Node[];
    expect(attempts).toHaveLength(1);
    expect((attempts[0] as Node).message).toBe('timeout waiting for heading');
  });

  it('marks a test that failed on every attempt with rerunFailure', async () => {
    const input = sampleInput();
    const second = { ...input.results[1]!, id: 'again', attempt: 2 };
    const xml = renderJunit({ ...input, results: [...input.results, second] });
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml.match(/<rerunFailure /g)).toHaveLength(1);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
  });

  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    const xml = renderJunit(sampleInput());
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('\u0001');
    expect(xml).not.toMatch(/[\uD800-\uDFFF]/);
    const doc = parse(xml);
    const catalog = ((doc.testsuites as Node).testsuite as Node[])[0] as Node;
    const name = String(((catalog.testcase as Node[])[1] as Node).name);
    expect(name).toContain(`<b>"Tom" & 'Jerry'</b>`);
    expect(xmlEscape('a\u0000b\uFFFEc😀')).toBe('abc😀');
    expect(NASTY).toContain('\u0001');
  });

  it('renders an empty run as a valid report', async () => {
    const input = sampleInput({ results: [] });
    expect(await junitErrors(renderJunit(input))).toEqual([]);
  });
});
