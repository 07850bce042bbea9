import { describe, expect, it } from 'vitest';
import { computeVerdict, countResults } from '../../src/domain/verdict.ts';
import { parseRetries, parseTimeout } from '../../src/cli/retry-flags.ts';

describe('verdict with flaky and quarantined results', () => {
  it('counts flaky apart and quarantined only as quarantined', () => {
    const c = countResults(
      ['passed', 'flaky', { status: 'failed', quarantined: true }, { status: 'flaky' }],
      4,
    );
    expect(c).toEqual({
      total: 4,
      passed: 1,
      failed: 0,
      skipped: 0,
      errored: 0,
      flaky: 2,
      quarantined: 1,
    });
    expect(computeVerdict(c)).toEqual({ status: 'passed', error: null });
    expect(computeVerdict(c, { failOnFlaky: true })).toEqual({
      status: 'failed',
      error: '2 flaky tests (failOnFlaky)',
    });
  });

  it('a real failure still fails, a missing result is still an error', () => {
    expect(computeVerdict(countResults(['flaky', 'failed'], 2)).status).toBe('failed');
    expect(computeVerdict(countResults(['flaky'], 2)).status).toBe('error');
    expect(computeVerdict(countResults([{ status: 'error', quarantined: true }], 1)).status).toBe(
      'passed',
    );
  });

  it('parses the CLI flags and refuses bad values', () => {
    expect(parseRetries('3')).toBe(3);
    expect(() => parseRetries('6')).toThrow(/--retries/);
    expect(() => parseRetries('-1')).toThrow(/--retries/);
    expect(parseTimeout('90')).toBe(90_000);
    expect(parseTimeout('15m')).toBe(900_000);
    expect(parseTimeout('500ms')).toBe(500);
    expect(() => parseTimeout('soon')).toThrow(/--timeout/);
    expect(() => parseTimeout('25h')).toThrow(/--timeout/);
  });
});
