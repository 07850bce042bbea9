import { isActive, type ScanFinding } from '../domain/scan.ts';
import { junitScanSuite } from './scan-findings.ts';
import type { TestResult } from '../domain/run.ts';
import {
  describeFailingStep,
  finalResults,
  oneLine,
  suiteOf,
  type FinalResult,
  type ReportInput,
} from './report-model.ts';

// XML 1.0 forbids most control characters and lone surrogates even when escaped; drop them.
const invalidXml =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escape text for an XML 1.0 attribute or element, removing characters XML cannot carry. */
export function xmlEscape(text: string): string {
  return text
    .replace(invalidXml, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

/** Attribute values also keep tabs and newlines, which parsers would otherwise normalise away. */
const attr = (text: string): string =>
  xmlEscape(text).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** The body of a failure: the error, the failing step, the screenshot and trace paths. */
function failureBody(r: TestResult): string {
  const lines = [r.error ?? (r.status === 'error' ? 'the test could not run' : 'the test failed')];
  const step = describeFailingStep(r);
  if (step) lines.push('', `Failing ${step}`);
  if (r.artifacts.screenshot) lines.push(`Screenshot: ${r.artifacts.screenshot}`);
  if (r.artifacts.trace) lines.push(`Trace: ${r.artifacts.trace}`);
  for (const m of r.artifacts.missing ?? []) lines.push(`No ${m.name} file: ${m.reason}`);
  for (const req of r.failedRequests.slice(0, 20))
    lines.push(
      `Request failed: ${req.method} ${req.url} ${req.status ?? req.failure ?? ''}`.trim(),
    );
  return lines.join('\n');
}

/** `TestFailed` / `TestError`, plus the step action when we know it (`TestFailed.expect`). */
function failureType(r: TestResult): string {
  const base = r.status === 'error' ? 'TestError' : 'TestFailed';
  const step = r.failedStep === null ? undefined : r.steps.find((s) => s.index === r.failedStep);
  return step?.action ? `${base}.${step.action}` : base;
}

function consoleText(r: TestResult): string {
  return r.consoleErrors
    .map((c) => `[${c.type}] ${c.text}${c.url ? ` (${c.url})` : ''}`)
    .join('\n');
}

/**
 * A retried attempt in Maven Surefire's shape: `flakyFailure` / `flakyError` on a test that
 * passed in the end, `rerunFailure` / `rerunError` on one that kept failing. Jenkins and GitLab
 * read these to mark tests flaky instead of counting every attempt as its own test.
 */
function attemptElement(prefix: 'flaky' | 'rerun', a: TestResult, pad: string): string[] {
  const tag = `${prefix}${a.status === 'error' ? 'Error' : 'Failure'}`;
  const inner = [`${pad}  <stackTrace>${xmlEscape(failureBody(a))}</stackTrace>`];
  const err = consoleText(a);
  if (err) inner.push(`${pad}  <system-err>${xmlEscape(err)}</system-err>`);
  return [
    `${pad}<${tag} message="${attr(oneLine(a.error, 500) || a.status)}" type="${attr(failureType(a))}">`,
    ...inner,
    `${pad}</${tag}>`,
  ];
}

function testcase(input: ReportInput, f: FinalResult): string[] {
  const r = f.result;
  const pad = '    ';
  const info = input.tests?.get(r.testId);
  const attrs =
    `name="${attr(r.testName)}" classname="${attr(suiteOf(input, r.testId))}" ` +
    `time="${seconds(r.durationMs)}"` +
    (info?.file ? ` file="${attr(info.file)}"` : '');
  const body: string[] = [];
  const healed = input.healed?.find((x) => x.testId === r.testId);
  if (healed) {
    // A healed pass is never silent: CI tools show testcase properties beside the test.
    body.push(
      `${pad}  <properties><property name="greenlight.healed" value="${attr(healed.detail)}"/></properties>`,
    );
  }
  if (r.quarantined) {
    // Quarantined tests never gate: CI tools reading this file must not fail the build on them.
    const why =
      r.status === 'failed' || r.status === 'error'
        ? ` (${r.status}: ${oneLine(r.error, 400)})`
        : '';
    body.push(`${pad}  <skipped message="${attr(`quarantined${why}`)}"/>`);
  } else if (r.status === 'failed' || r.status === 'error') {
    const tag = r.status === 'failed' ? 'failure' : 'error';
    body.push(
      `${pad}  <${tag} message="${attr(oneLine(r.error, 500) || r.status)}" type="${attr(failureType(r))}">` +
        `${xmlEscape(failureBody(r))}</${tag}>`,
    );
  } else if (r.status === 'skipped') {
    body.push(`${pad}  <skipped${r.error ? ` message="${attr(oneLine(r.error, 500))}"` : ''}/>`);
  }
  const prefix = r.status === 'passed' ? 'flaky' : 'rerun';
  for (const a of f.previous) body.push(...attemptElement(prefix, a, `${pad}  `));
  if (r.artifacts.screenshot || r.artifacts.trace) {
    // GitLab and Jenkins' attachments plugin pick files up from [[ATTACHMENT|path]] lines.
    const files = [r.artifacts.screenshot, r.artifacts.trace].filter((p): p is string => !!p);
    body.push(
      `${pad}  <system-out>${xmlEscape(files.map((p) => `[[ATTACHMENT|${p}]]`).join('\n'))}</system-out>`,
    );
  }
  const err = consoleText(r);
  if (err) body.push(`${pad}  <system-err>${xmlEscape(err)}</system-err>`);
  if (body.length === 0) return [`${pad}<testcase ${attrs}/>`];
  return [`${pad}<testcase ${attrs}>`, ...body, `${pad}</testcase>`];
}

/** The top-level counts include the scan's testcases (one per finding). */
function withFindings(t: Totals, findings: ScanFinding[] | undefined): Totals {
  if (!findings?.length) return t;
  const failing = findings.filter(isActive).length;
  return {
    ...t,
    tests: t.tests + findings.length,
    failures: t.failures + failing,
    skipped: t.skipped + findings.length - failing,
  };
}

interface Totals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  ms: number;
}

const quarantined = (f: FinalResult): boolean => f.result.quarantined === true;

function totals(finals: FinalResult[]): Totals {
  return {
    tests: finals.length,
    failures: finals.filter((f) => !quarantined(f) && f.result.status === 'failed').length,
    errors: finals.filter((f) => !quarantined(f) && f.result.status === 'error').length,
    skipped: finals.filter((f) => quarantined(f) || f.result.status === 'skipped').length,
    ms: finals.reduce((s, f) => s + Math.max(0, f.result.durationMs), 0),
  };
}

const countAttrs = (t: Totals): string =>
  `tests="${t.tests}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${seconds(t.ms)}"`;

/**
 * The run as JUnit XML: `<testsuites>` with one `<testsuite>` per suite (tests without a suite
 * go under the project slug), one `<testcase>` per test; retries collapsed into Surefire's
 * flaky/rerun elements. Durations are the results' real durations in seconds.
 */
export function renderJunit(input: ReportInput): string {
  return [...junitChunks(input)].join('');
}

/** The JUnit XML in chunks, one testcase at a time (the same text as `renderJunit`). */
export function* junitChunks(input: ReportInput): Generator<string> {
  const finals = finalResults(input.results);
  const bySuite = new Map<string, FinalResult[]>();
  for (const f of finals) {
    const suite = suiteOf(input, f.result.testId);
    const list = bySuite.get(suite);
    if (list) list.push(f);
    else bySuite.set(suite, [f]);
  }
  const all = withFindings(totals(finals), input.findings);
  const lines = (l: string[]): string => l.map((x) => `${x}\n`).join('');
  yield lines([
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`greenlight ${input.project.slug} ${input.run.id}`)}" ${countAttrs(all)}>`,
  ]);
  let id = 0;
  for (const [suite, list] of bySuite) {
    const t = totals(list);
    const first = list.map((f) => f.result.startedAt).sort()[0];
    // Ant's format: local ISO 8601 date-time without zone or fraction.
    const timestamp = (first ?? input.run.startedAt ?? input.run.createdAt).slice(0, 19);
    yield lines([
      `  <testsuite name="${attr(suite)}" id="${id++}" ${countAttrs(t)} timestamp="${attr(timestamp)}" hostname="greenlight">`,
    ]);
    for (const f of list) yield lines(testcase(input, f));
    yield lines(['  </testsuite>']);
  }
  if (input.findings && input.findings.length > 0) yield lines(junitScanSuite(input.findings, id));
  yield lines(['</testsuites>']);
}
