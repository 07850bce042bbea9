import { createHash } from 'node:crypto';
import type * as Sarif from 'sarif';
import pkg from '../../package.json' with { type: 'json' };
import type { TestResult } from '../domain/run.ts';
import {
  failingStep,
  finalResults,
  oneLine,
  suiteOf,
  testFile,
  type FinalResult,
  type ReportInput,
} from './report-model.ts';
import { jsonWithStreamedArray } from './json-stream.ts';
import { findingResult, findingRules, originalUriBaseIds } from './sarif-findings.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

// SARIF 2.1.0's types from DefinitelyTyped (@types/sarif) rather than our own copy; what we
// write is checked against the official schema in the tests.
// Narrowed where Greenlight always writes a field, so callers need not check for it.
export type SarifRule = Sarif.ReportingDescriptor;
export type SarifLocation = Sarif.Location;
export type SarifResult = Omit<
  Sarif.Result,
  'ruleId' | 'ruleIndex' | 'locations' | 'partialFingerprints'
> & {
  ruleId: string;
  ruleIndex: number;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
};
export type SarifRun = Omit<Sarif.Run, 'tool' | 'results'> & {
  tool: { driver: Sarif.ToolComponent & { rules: SarifRule[] } };
  results: SarifResult[];
};
export type SarifLog = Omit<Sarif.Log, 'runs'> & { runs: SarifRun[] };

/** One rule per kind of test problem; ids are stable so code-scanning history stays linked. */
const sarifRules: SarifRule[] = [
  {
    id: 'GL-TEST-FAILED',
    name: 'TestFailed',
    shortDescription: { text: 'An end-to-end test failed' },
    fullDescription: {
      text: 'A Greenlight test ran and one of its steps or expectations did not hold.',
    },
    defaultConfiguration: { level: 'error' },
  },
  {
    id: 'GL-TEST-ERROR',
    name: 'TestError',
    shortDescription: { text: 'An end-to-end test could not run' },
    fullDescription: {
      text: 'A Greenlight test could not be run to the end (browser, infrastructure or timeout).',
    },
    defaultConfiguration: { level: 'error' },
  },
  {
    id: 'GL-TEST-FLAKY',
    name: 'TestFlaky',
    shortDescription: { text: 'An end-to-end test passed only on a retry' },
    fullDescription: { text: 'A Greenlight test failed at first and passed when retried.' },
    defaultConfiguration: { level: 'warning' },
  },
];

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

const ruleIndex = (id: string): number => sarifRules.findIndex((r) => r.id === id);

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

function sarifResult(input: ReportInput, f: FinalResult): SarifResult | undefined {
  const r: TestResult = f.flaky ? (f.previous[0] ?? f.result) : f.result;
  const ruleId = f.flaky
    ? 'GL-TEST-FLAKY'
    : r.status === 'failed'
      ? 'GL-TEST-FAILED'
      : r.status === 'error'
        ? 'GL-TEST-ERROR'
        : undefined;
  if (!ruleId) return undefined;
  const info = input.tests?.get(r.testId);
  const suite = suiteOf(input, r.testId);
  const step = failingStep(r);
  const stepLabel = step ? `step ${step.index + 1}` : undefined;
  const where = step ? ` at ${stepLabel} (${step.description})` : '';
  const verb = f.flaky
    ? 'passed only on a retry; it failed'
    : r.status === 'error'
      ? 'could not run'
      : 'failed';
  const reason = oneLine(r.error, 500);
  const file = testFile(info);
  const fqn = [suite, r.testName, ...(stepLabel ? [stepLabel] : [])].join(' › ');
  return {
    ruleId,
    ruleIndex: ruleIndex(ruleId),
    // A quarantined test's failure is known and accepted: shown, never blocking.
    level: f.result.quarantined ? 'note' : f.flaky ? 'warning' : 'error',
    message: { text: `Test "${r.testName}" ${verb}${where}${reason ? `: ${reason}` : ''}` },
    locations: [
      {
        ...(file ? { physicalLocation: { artifactLocation: { uri: encodeURI(file) } } } : {}),
        logicalLocations: [
          {
            name: step ? `${r.testName} › ${stepLabel}` : r.testName,
            fullyQualifiedName: fqn,
            kind: 'function',
          },
        ],
      },
    ],
    // Stable across runs for the same test and step, so code scanning tracks one alert per place.
    partialFingerprints: {
      'greenlightTest/v1': sha256(`${info?.key ?? r.testId}\u0000${step?.index ?? ''}`),
    },
    properties: {
      testId: r.testId,
      ...(info?.key ? { testKey: info.key } : {}),
      suite,
      attempt: f.result.attempt,
      ...(step ? { step: step.index + 1, stepDescription: step.description } : {}),
      ...(f.result.artifacts.screenshot ? { screenshot: f.result.artifacts.screenshot } : {}),
      ...(f.result.artifacts.trace ? { trace: f.result.artifacts.trace } : {}),
    },
  };
}

/**
 * The run's failed, errored and flaky tests as a SARIF 2.1.0 log: one result per test, located
 * at the test's source file with a logical location naming the test and the failing step; then
 * one result per scan finding, located in the repository relative to `%SRCROOT%`.
 */
export function renderSarif(input: ReportInput): SarifLog {
  const { log, results } = sarifParts(input);
  log.runs[0]!.results = [...results];
  return log;
}

/** The SARIF log's text in chunks, one result at a time (the same text as the whole log). */
export function sarifChunks(input: ReportInput): Iterable<string> {
  const { log, results } = sarifParts(input);
  return jsonWithStreamedArray(log, ['runs', 0, 'results'], results);
}

/** The log with an empty result list, and its results, made as they are read. */
function sarifParts(input: ReportInput): { log: SarifLog; results: Iterable<SarifResult> } {
  const version = input.toolVersion ?? pkg.version;
  const home = originOf(input.links?.runUrl);
  const { run } = input;
  const findings = input.findings ?? [];
  const rules = [...sarifRules, ...findingRules(findings, sarifRules)];
  const indexOf = new Map(rules.map((r, i) => [r.id, i]));
  function* results(): Generator<SarifResult> {
    for (const f of finalResults(input.results)) {
      const r = sarifResult(input, f);
      if (r) yield r;
    }
    for (const f of findings) yield findingResult(f, indexOf.get(f.ruleId) ?? -1);
  }
  const log: SarifLog = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Greenlight',
            version,
            semanticVersion: version,
            // The server that made the report is the only home page we can vouch for.
            ...(home ? { informationUri: home } : {}),
            rules,
          },
        },
        automationDetails: { id: `greenlight/${input.project.slug}/${run.id}` },
        // Only findings use the base id; test locations stay as before.
        ...(findings.length > 0 ? { originalUriBaseIds } : {}),
        invocations: [
          {
            executionSuccessful: run.status === 'passed' || run.status === 'failed',
            ...(run.startedAt ? { startTimeUtc: run.startedAt } : {}),
            ...(run.finishedAt ? { endTimeUtc: run.finishedAt } : {}),
          },
        ],
        results: [],
        properties: {
          runId: run.id,
          project: input.project.slug,
          status: run.status,
          baseUrl: run.baseUrl,
          ...(input.links?.runUrl ? { runUrl: input.links.runUrl } : {}),
        },
      },
    ],
  };
  return { log, results: results() };
}
