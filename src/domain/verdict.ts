import { emptyCounts, type ResultStatus, type RunCounts, type RunStatus } from './run.ts';

/** A result as the tally sees it: its status, and whether its test was quarantined. */
export type Countable = ResultStatus | { status: ResultStatus; quarantined?: boolean };

/** Count results by status; a quarantined test's result counts only as `quarantined`. */
export function countResults(results: readonly Countable[], total: number): RunCounts {
  const counts = emptyCounts(total);
  for (const r of results) {
    const { status, quarantined } = typeof r === 'string' ? { status: r, quarantined: false } : r;
    if (quarantined) counts.quarantined++;
    else if (status === 'passed') counts.passed++;
    else if (status === 'flaky') counts.flaky++;
    else if (status === 'failed') counts.failed++;
    else if (status === 'skipped') counts.skipped++;
    else counts.errored++;
  }
  return counts;
}

/** Rules of a run that change its verdict. */
export interface VerdictPolicy {
  /** A flaky test fails the run. */
  failOnFlaky?: boolean;
}

export interface Verdict {
  status: Extract<RunStatus, 'passed' | 'failed' | 'error'>;
  error: string | null;
}

/**
 * The run's verdict: `passed` only when every planned test ran and passed (flaky ones too, unless
 * the policy says otherwise); `failed` when any test failed; `error` when a test could not be run
 * (infrastructure) or results are missing. Quarantined tests count as finished but never decide.
 * A run with no tests is an error, never a silent pass.
 */
export function computeVerdict(c: RunCounts, policy: VerdictPolicy = {}): Verdict {
  const finished = c.passed + c.failed + c.skipped + c.errored + c.flaky + c.quarantined;
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
  if (c.passed + c.flaky + c.quarantined === 0) {
    return { status: 'error', error: 'every test was skipped' };
  }
  if (policy.failOnFlaky && c.flaky > 0) {
    return {
      status: 'failed',
      error: `${c.flaky} flaky test${c.flaky === 1 ? '' : 's'} (failOnFlaky)`,
    };
  }
  return { status: 'passed', error: null };
}

/** CLI exit code for a run status: 0 passed, 1 failed, 2 anything else. */
export function exitCodeFor(status: RunStatus): 0 | 1 | 2 {
  return status === 'passed' ? 0 : status === 'failed' ? 1 : 2;
}
