import type { Run, StepResult, TestResult } from '../domain/run.ts';
import type { ScanFinding } from '../domain/scan.ts';

/** What a report knows of a test beyond its result (from the store; optional in every format). */
export interface ReportTestInfo {
  suite: string | null;
  tags: string[];
  key: string | null;
  /** Source file of the test, e.g. `demo/tests/catalog.yaml`, when known. */
  file?: string;
}

/** A test that passed only after self-healing a locator (filled in by whoever knows; optional). */
export interface HealedTest {
  testId: string;
  testName: string;
  /** One line: what was healed, e.g. `step 3: role=button[name="Save"] → text=Save`. */
  detail: string;
}

/** Links a report may print; every one optional so a CLI report without a server still renders. */
export interface ReportLinks {
  /** The run's page (dashboard or API). */
  runUrl?: string;
  /** A URL for an artifact path (relative to the data dir), e.g. a trace or screenshot. */
  artifactUrl?: (path: string) => string | undefined;
}

/** The single input of every report: a finished (or running) run and what it produced. */
export interface ReportInput {
  run: Run;
  results: TestResult[];
  tests?: Map<string, ReportTestInfo>;
  project: { slug: string; name: string };
  links?: ReportLinks;
  healed?: HealedTest[];
  /** Static scan findings of the same run (the scan gate); absent when no scan ran. */
  findings?: ScanFinding[];
  /** Greenlight's version for tool metadata (SARIF driver, JSON report). */
  toolVersion?: string;
}

export const reportFormats = ['junit', 'html', 'sarif', 'json', 'markdown'] as const;
export type ReportFormat = (typeof reportFormats)[number];

/** The result that stands for each test: the last attempt, plus whether an earlier one failed. */
export interface FinalResult {
  result: TestResult;
  /** Earlier attempts of the same test that did not pass, oldest first. */
  previous: TestResult[];
  /** Passed after at least one failing attempt. */
  flaky: boolean;
}

/**
 * Collapse retries: results carry `attempt`, and a test may appear once per attempt. The last
 * attempt decides the outcome; earlier failing attempts make a passing test flaky. Order follows
 * the first appearance of each test so reports keep the run's planned order.
 */
export function finalResults(results: readonly TestResult[]): FinalResult[] {
  const byTest = new Map<string, TestResult[]>();
  for (const r of results.flatMap(expandAttempts)) {
    // A data test has one result per row (variant); each row is its own test in a report.
    const key = `${r.testId}\u0000${r.variant ?? ''}`;
    const list = byTest.get(key);
    if (list) list.push(r);
    else byTest.set(key, [r]);
  }
  const out: FinalResult[] = [];
  for (const attempts of byTest.values()) {
    attempts.sort((a, b) => a.attempt - b.attempt);
    const result = attempts[attempts.length - 1] as TestResult;
    const previous = attempts.slice(0, -1).filter((a) => a.status !== 'passed');
    out.push({
      result,
      previous,
      // A job re-run after a process restart has attempt > 1 without failing: not flaky.
      flaky: result.status === 'passed' && previous.length > 0,
    });
  }
  return out;
}

/**
 * A stored result keeps its earlier attempts (retries in the same job) in `retries`; reports see
 * them as results of their own, and a `flaky` result as the passing last attempt it is.
 */
function expandAttempts(r: TestResult): TestResult[] {
  const { retries, ...last } = r;
  const final: TestResult = r.status === 'flaky' ? { ...last, status: 'passed' } : last;
  const earlier = (retries ?? []).map((a): TestResult => ({
    ...last,
    ...a,
    id: `${r.id}#${a.attempt}`,
    consoleErrors: [],
    failedRequests: [],
  }));
  return [...earlier, final];
}

/** The step that failed, if the result names one. */
export function failingStep(r: TestResult): StepResult | undefined {
  if (r.failedStep === null) return r.steps.find((s) => s.status === 'failed');
  return r.steps.find((s) => s.index === r.failedStep) ?? r.steps[r.failedStep];
}

/** `step 3: click role=button[name="Save"]` (1-based, as people count). */
export function describeFailingStep(r: TestResult): string | undefined {
  const s = failingStep(r);
  return s ? `step ${s.index + 1}: ${s.description}` : undefined;
}

/** The first non-empty line of an error, trimmed to `max` characters. */
export function oneLine(text: string | null | undefined, max = 200): string {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  const t = line.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The test's source file: given, else the file part of a `file#name` key. */
export function testFile(info: ReportTestInfo | undefined): string | undefined {
  if (info?.file) return info.file;
  const key = info?.key;
  if (key && key.includes('#')) return key.slice(0, key.indexOf('#'));
  return undefined;
}

/** Counts of the final results (retries collapsed) plus the run's planned total. */
export interface ReportSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  /** Passed after failing first; not counted in `passed` (the run's counts agree). */
  flaky: number;
  /** Results of quarantined tests, whatever their outcome; counted nowhere else (they never gate). */
  quarantined: number;
  /** Planned tests with no result (a cancelled or still running run). */
  missing: number;
  durationMs: number;
}

export function summarize(input: ReportInput): ReportSummary {
  const finals = finalResults(input.results);
  const gating = finals.filter((f) => !f.result.quarantined);
  const count = (s: string): number =>
    gating.filter((f) => f.result.status === s && !f.flaky).length;
  const total = Math.max(input.run.total, finals.length);
  return {
    total,
    passed: count('passed'),
    failed: count('failed'),
    errored: count('error'),
    skipped: count('skipped'),
    flaky: gating.filter((f) => f.flaky).length,
    quarantined: finals.length - gating.length,
    missing: Math.max(0, total - finals.length),
    durationMs: runDurationMs(input),
  };
}

/** Wall-clock duration of the run when it has start and end, else the sum of result durations. */
function runDurationMs(input: ReportInput): number {
  const { startedAt, finishedAt } = input.run;
  if (startedAt && finishedAt) {
    const ms = Date.parse(finishedAt) - Date.parse(startedAt);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  return input.results.reduce((s, r) => s + Math.max(0, r.durationMs), 0);
}

/** `1.2 s`, `850 ms`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  return `${min} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The suite a test is grouped under: its suite, else the project slug. */
export function suiteOf(input: ReportInput, testId: string): string {
  return input.tests?.get(testId)?.suite ?? input.project.slug;
}
