import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { jsonReportJsonSchema, jsonReportSchema, renderJsonReport } from '../../src/report/json.ts';
import { sampleInput } from '../fixtures/report/sample-run.ts';

const validate = new Ajv2020({ allErrors: true, strict: false }).compile(jsonReportJsonSchema());

describe('JSON report', () => {
  it('validates against its published JSON Schema and its zod schema', () => {
    const report = JSON.parse(JSON.stringify(renderJsonReport(sampleInput()))) as unknown;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(jsonReportSchema.safeParse(report).success).toBe(true);
  });

  it('the published schema rejects a wrong version or a missing field', () => {
    const report = renderJsonReport(sampleInput());
    expect(validate({ ...report, schemaVersion: '2' })).toBe(false);
    const { summary: _summary, ...rest } = report;
    expect(validate(rest)).toBe(false);
  });

  it('has the run, a summary with flaky counted and one result per test', () => {
    const report = renderJsonReport(sampleInput());
    expect(report.schemaVersion).toBe('1');
    expect(report.run).toMatchObject({ id: 'run-1', status: 'failed', ciStatus: 'failed' });
    expect(report.run.url).toBe('http://greenlight.local/runs/run-1');
    expect(report.summary).toEqual({
      total: 5,
      // The flaky test counts as flaky, not passed, as in the run's own counts.
      passed: 1,
      failed: 1,
      errored: 1,
      skipped: 1,
      flaky: 1,
      quarantined: 0,
      missing: 0,
      durationMs: 6000,
    });
    expect(report.results).toHaveLength(5);
    const failed = report.results.find((r) => r.testId === 't-fail')!;
    expect(failed).toMatchObject({
      failedStep: 3,
      file: 'demo/tests/catalog.yaml',
      suite: 'catalog',
    });
    expect(failed.steps.map((s) => s.number)).toEqual([1, 2, 3, 4]);
    expect(failed.artifacts).toEqual([
      {
        kind: 'screenshot',
        path: 'runs/run-1/t-fail/failure.png',
        url: 'http://greenlight.local/artifacts/runs/run-1/t-fail/failure.png',
      },
      {
        kind: 'trace',
        path: 'runs/run-1/t-fail/trace.zip',
        url: 'http://greenlight.local/artifacts/runs/run-1/t-fail/trace.zip',
      },
    ]);
    const flaky = report.results.find((r) => r.testId === 't-flaky')!;
    expect(flaky).toMatchObject({ status: 'passed', flaky: true, attempt: 2 });
    expect(flaky.previousAttempts).toEqual([
      {
        attempt: 1,
        status: 'failed',
        durationMs: 1234,
        error: 'timeout waiting for heading',
        failedStep: 2,
      },
    ]);
  });
});
