import { describe, expect, it } from 'vitest';
import type { ScanFinding } from '../../src/domain/scan.ts';
import type { ReportInput } from '../../src/report/report-model.ts';
import { renderSarif } from '../../src/report/sarif.ts';
import { sampleInput } from '../fixtures/report/sample-run.ts';
import { sarifErrors } from '../fixtures/report/validators.ts';

describe('SARIF report', () => {
  it('is valid against the official SARIF 2.1.0 schema', () => {
    expect(sarifErrors(renderSarif(sampleInput()))).toEqual([]);
  });

  it('the schema check really rejects a broken log', () => {
    const log = renderSarif(sampleInput()) as unknown as { runs: { results: object[] }[] };
    log.runs[0]!.results.push({ level: 'fatal', message: {} });
    expect(sarifErrors(log)).not.toEqual([]);
  });

  it('has one result per failed, errored and flaky test with rules, locations and fingerprints', () => {
    const log = renderSarif(sampleInput());
    const run = log.runs[0]!;
    expect(run.tool.driver).toMatchObject({ name: 'Greenlight', version: '0.1.0' });
    expect(run.tool.driver.informationUri).toBe('http://greenlight.local');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'GL-TEST-FAILED',
      'GL-TEST-ERROR',
      'GL-TEST-FLAKY',
    ]);
    expect(run.results.map((r) => [r.ruleId, r.level])).toEqual([
      ['GL-TEST-FAILED', 'error'],
      ['GL-TEST-ERROR', 'error'],
      ['GL-TEST-FLAKY', 'warning'],
    ]);
    const failed = run.results[0]!;
    expect(failed.ruleIndex).toBe(0);
    expect(failed.message.text).toMatch(
      /failed at step 3 \(expect text "Step 2"\): expect text failed/,
    );
    // The file part of a `file#name` key locates the test.
    expect(failed.locations[0]!.physicalLocation?.artifactLocation?.uri).toBe(
      'demo/tests/catalog.yaml',
    );
    expect(failed.locations[0]!.logicalLocations![0]!.fullyQualifiedName).toMatch(
      /^catalog › Catalog shows prices .* › step 3$/,
    );
    expect(failed.properties).toMatchObject({
      step: 3,
      screenshot: 'runs/run-1/t-fail/failure.png',
    });
    const flaky = run.results[2]!;
    expect(flaky.locations[0]!.physicalLocation?.artifactLocation?.uri).toBe(
      'demo/tests/auth.yaml',
    );
  });

  it('fingerprints are stable per test and step across runs, and differ between steps', () => {
    const a = renderSarif(sampleInput()).runs[0]!.results[0]!;
    const other = sampleInput();
    other.run = { ...other.run, id: 'run-2' };
    other.results = other.results.map((r) => ({ ...r, runId: 'run-2', error: 'another message' }));
    const b = renderSarif(other).runs[0]!.results[0]!;
    expect(b.partialFingerprints).toEqual(a.partialFingerprints);
    const moved = sampleInput();
    moved.results[1] = { ...moved.results[1]!, failedStep: 1 };
    const c = renderSarif(moved).runs[0]!.results[0]!;
    expect(c.partialFingerprints).not.toEqual(a.partialFingerprints);
  });

  it('a passing run is a valid log with no results', () => {
    const input = sampleInput();
    input.results = input.results.filter((r) => r.status === 'passed' && r.attempt === 1);
    input.run = { ...input.run, status: 'passed' };
    const log = renderSarif(input);
    expect(log.runs[0]!.results).toEqual([]);
    expect(sarifErrors(log)).toEqual([]);
  });
});

const findings = (): ScanFinding[] => [
  {
    ruleId: 'GL-SEC-001',
    ruleName: 'HardcodedSecret',
    ruleDescription: 'A secret is written in the source',
    helpUri: 'https://greenlight.example/rules/GL-SEC-001',
    severity: 'high',
    message: 'An API key is hard-coded.',
    file: 'src/config/keys.ts',
    startLine: 12,
    startColumn: 7,
    endLine: 12,
    endColumn: 40,
    snippet: 'const KEY = "sk_live_123";',
  },
  {
    ruleId: 'GL-QUAL-002',
    severity: 'medium',
    message: 'A focused test (.only) would skip the rest of the suite.',
    file: 'tests/cart spec.ts',
    startLine: 3,
  },
  // Same rule again, whole-file (no region): the rule must appear once.
  {
    ruleId: 'GL-SEC-001',
    severity: 'low',
    message: 'A key-like string in a fixture.',
    file: 'test/fixtures/keys.json',
  },
  {
    ruleId: 'GL-QUAL-003',
    ruleName: 'TodoComment',
    severity: 'medium',
    message: 'TODO left in code.',
    file: 'src/app.ts',
    startLine: 40,
    snippet: '// TODO remove',
    suppressed: { kind: 'inSource', justification: 'tracked in #12' },
  },
  {
    ruleId: 'GL-QUAL-003',
    severity: 'low',
    message: 'TODO left in code.',
    file: 'src/app.ts',
    startLine: 41,
    fingerprint: 'engine-fp-1',
    suppressed: { kind: 'external' },
  },
];

const withFindings = (list: ScanFinding[] = findings()): ReportInput => ({
  ...sampleInput(),
  findings: list,
});

describe('SARIF report with scan findings', () => {
  it('is valid against the official SARIF 2.1.0 schema', () => {
    expect(sarifErrors(renderSarif(withFindings()))).toEqual([]);
    // Findings alone, with no failed test, are a valid log too.
    const onlyFindings = withFindings();
    onlyFindings.results = [];
    expect(sarifErrors(renderSarif(onlyFindings))).toEqual([]);
  });

  it('the schema check rejects an invalid finding result', () => {
    const log = renderSarif(withFindings());
    const copy = structuredClone(log) as unknown as { runs: { results: { level: string }[] }[] };
    copy.runs[0]!.results[3]!.level = 'fatal';
    expect(sarifErrors(copy)).not.toEqual([]);
    const region = structuredClone(log);
    region.runs[0]!.results[3]!.locations[0]!.physicalLocation!.region!.startLine = 0;
    expect(sarifErrors(region)).not.toEqual([]);
    const suppression = structuredClone(log) as unknown as {
      runs: { results: { suppressions?: { kind: string }[] }[] }[];
    };
    suppression.runs[0]!.results[6]!.suppressions![0]!.kind = 'ignored';
    expect(sarifErrors(suppression)).not.toEqual([]);
  });

  it('adds one rule per distinct finding rule after the test rules', () => {
    const run = renderSarif(withFindings()).runs[0]!;
    const rules = run.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual([
      'GL-TEST-FAILED',
      'GL-TEST-ERROR',
      'GL-TEST-FLAKY',
      'GL-SEC-001',
      'GL-QUAL-002',
      'GL-QUAL-003',
    ]);
    expect(rules[3]).toEqual({
      id: 'GL-SEC-001',
      name: 'HardcodedSecret',
      shortDescription: { text: 'A secret is written in the source' },
      helpUri: 'https://greenlight.example/rules/GL-SEC-001',
    });
    expect(rules[4]).toEqual({ id: 'GL-QUAL-002', shortDescription: { text: 'GL-QUAL-002' } });
    expect(rules[5]).toEqual({
      id: 'GL-QUAL-003',
      name: 'TodoComment',
      shortDescription: { text: 'TodoComment' },
    });
    for (const r of run.results) expect(rules[r.ruleIndex]!.id).toBe(r.ruleId);
    expect(run.originalUriBaseIds?.['%SRCROOT%']).toBeDefined();
  });

  it('renders level, message, location, region, suppressions after the test results', () => {
    const run = renderSarif(withFindings()).runs[0]!;
    const scan = run.results.slice(3);
    expect(run.results.slice(0, 3).map((r) => r.ruleId)).toEqual([
      'GL-TEST-FAILED',
      'GL-TEST-ERROR',
      'GL-TEST-FLAKY',
    ]);
    expect(scan.map((r) => [r.ruleId, r.level])).toEqual([
      ['GL-SEC-001', 'error'],
      ['GL-QUAL-002', 'warning'],
      ['GL-SEC-001', 'note'],
      ['GL-QUAL-003', 'warning'],
      ['GL-QUAL-003', 'note'],
    ]);
    expect(scan[0]!.message.text).toBe('An API key is hard-coded.');
    expect(scan[0]!.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'src/config/keys.ts', uriBaseId: '%SRCROOT%' },
          region: {
            startLine: 12,
            startColumn: 7,
            endLine: 12,
            endColumn: 40,
            snippet: { text: 'const KEY = "sk_live_123";' },
          },
        },
      },
    ]);
    // Absent fields are omitted, paths are URI-encoded.
    expect(scan[1]!.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'tests/cart%20spec.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3 },
    });
    expect(scan[2]!.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'test/fixtures/keys.json', uriBaseId: '%SRCROOT%' },
    });
    expect(scan[0]!.suppressions).toBeUndefined();
    expect(scan[3]!.suppressions).toEqual([{ kind: 'inSource', justification: 'tracked in #12' }]);
    expect(scan[4]!.suppressions).toEqual([{ kind: 'external' }]);
    expect(scan[4]!.partialFingerprints).toEqual({ 'greenlightFinding/v1': 'engine-fp-1' });
  });

  it('fingerprints are stable across renders and follow the snippet, else the line', () => {
    const fp = (list: ScanFinding[]): Record<string, string>[] =>
      renderSarif(withFindings(list))
        .runs[0]!.results.slice(3)
        .map((r) => r.partialFingerprints);
    const a = fp(findings());
    expect(fp(findings())).toEqual(a);
    expect(a[0]!['greenlightFinding/v1']).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(a.map((p) => p['greenlightFinding/v1'])).size).toBe(a.length);

    const moved = findings();
    // No snippet: the line is the identity, so another line is another finding.
    moved[1] = { ...moved[1]!, startLine: 4 };
    // With a snippet: re-indented and moved down, still the same finding.
    moved[0] = { ...moved[0]!, startLine: 30, snippet: '  const  KEY = "sk_live_123";\n' };
    const b = fp(moved);
    expect(b[1]).not.toEqual(a[1]);
    expect(b[0]).toEqual(a[0]);
    const otherSnippet = findings();
    otherSnippet[0] = { ...otherSnippet[0]!, snippet: 'const KEY = "sk_live_456";' };
    expect(fp(otherSnippet)[0]).not.toEqual(a[0]);
  });

  it('without findings the log is unchanged (no finding rules, no base ids)', () => {
    const run = renderSarif(withFindings([])).runs[0]!;
    expect(run.tool.driver.rules).toHaveLength(3);
    expect(run.originalUriBaseIds).toBeUndefined();
  });
});
