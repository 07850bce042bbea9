import type { ResultStatus, RunCounts, RunStatus } from './run.ts';

/** Count results by status. */
export function countResults(statuses: readonly ResultStatus[], total: number): RunCounts {
  const counts: RunCounts = { total, passed: 0, failed: 0, skipped: 0, errored: 0 };
  for (const s of statuses) {
    if (s === 'passed') counts.passed++;
    else if (s === 'failed') counts.failed++;
    else if (s === 'skipped') counts.skipped++;
    else counts.errored++;
  }
  return counts;
}

export interface Verdict {
  status: Extract<RunStatus, 'passed' | 'failed' | 'error'>;
  error: string | null;
}

/**
 * The run's verdict: `passed` only when every planned test ran and passed; `failed` when any test
 * failed; `error` when a test could not be run (infrastructure) or results are missing. A run
 * with no tests is an error, never a silent pass.
 */
export function computeVerdict(c: RunCounts): Verdict {
  const finished = c.passed + c.failed + c.skipped + c.errored;
  if (c.total === 0) return { status: 'error', error: 'no tests were selected' };
  if (c.failed > 0) {
    return {
      status: 'failed',
      error:
        `${c.failed} of ${c.total} test${c.total === 1 ? '' : 's'} failed` +
        (c.errored > 0 ? `, ${c.errored} could not run` : ''),
    };
  }
  if (c.errored > 0)
    return {
      status: 'error',
      error: `${c.errored} of ${c.total} test${c.total === 1 ? '' : 's'} could not run`,
    };
  if (finished < c.total)
    return { status: 'error', error: `${c.total - finished} test(s) have no result` };
  if (c.passed === 0) return { status: 'error', error: 'every test was skipped' };
  return { status: 'passed', error: null };
}

/** CLI exit code for a run status: 0 passed, 1 failed, 2 anything else. */
export function exitCodeFor(status: RunStatus): 0 | 1 | 2 {
  return status === 'passed' ? 0 : status === 'failed' ? 1 : 2;
}
