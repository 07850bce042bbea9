import { describe, expect, it } from 'vitest';
import { computeVerdict, countResults, exitCodeFor } from '../../src/domain/verdict.ts';

describe('verdict', () => {
  it('passes only when every planned test passed', () => {
    expect(computeVerdict(countResults(['passed', 'passed'], 2))).toEqual({
      status: 'passed',
      error: null,
    });
  });
  it('fails with a count when any test failed', () => {
    expect(computeVerdict(countResults(['passed', 'failed', 'failed'], 3))).toEqual({
      status: 'failed',
      error: '2 of 3 tests failed',
    });
  });
  it('is an error when a test could not run, results are missing, or nothing ran', () => {
    expect(computeVerdict(countResults(['passed', 'error'], 2)).status).toBe('error');
    expect(computeVerdict(countResults(['passed'], 2))).toEqual({
      status: 'error',
      error: '1 test(s) have no result',
    });
    expect(computeVerdict(countResults([], 0)).status).toBe('error');
    expect(computeVerdict(countResults(['skipped'], 1)).status).toBe('error');
  });
  it('maps statuses to exit codes', () => {
    expect([
      exitCodeFor('passed'),
      exitCodeFor('failed'),
      exitCodeFor('error'),
      exitCodeFor('cancelled'),
    ]).toEqual([0, 1, 2, 2]);
  });
});
