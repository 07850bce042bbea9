import type { ScanOutcome } from './scan.ts';
import type { Verdict } from './verdict.ts';

/**
 * One verdict for tests and scan: a failed test or a failed scan gate fails the run (both reasons
 * kept); a scan that could not finish makes a passing run an error, never a pass.
 */
export function withScanVerdict(tests: Verdict, scan: ScanOutcome | null): Verdict {
  if (!scan || scan.status === 'passed') return tests;
  const why =
    scan.status === 'error'
      ? `the scan could not finish: ${scan.reason ?? 'unknown error'}`
      : (scan.reason ?? 'scan gate failed');
  if (tests.status === 'failed' || scan.status === 'failed') {
    return {
      status: tests.status === 'error' && scan.status === 'error' ? 'error' : 'failed',
      error: [tests.error, why].filter(Boolean).join('; '),
    };
  }
  return { status: 'error', error: [tests.error, why].filter(Boolean).join('; ') };
}
