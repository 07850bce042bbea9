import { describe, expect, it } from 'vitest';
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
    expect(failed.locations[0]!.physicalLocation?.artifactLocation.uri).toBe(
      'demo/tests/catalog.yaml',
    );
    expect(failed.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toMatch(
      /^catalog › Catalog shows prices .* › step 3$/,
    );
    expect(failed.properties).toMatchObject({
      step: 3,
      screenshot: 'runs/run-1/t-fail/failure.png',
    });
    const flaky = run.results[2]!;
    expect(flaky.locations[0]!.physicalLocation?.artifactLocation.uri).toBe('demo/tests/auth.yaml');
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
