import type { Run, RunStatus } from './run.ts';

/**
 * The status vocabulary of Sentri-style CI pipelines (seed 000): `running` until the end, then
 * `completed` (every gating test passed), `failed` (tests failed or could not run) or `aborted`.
 * Sentri answers `completed` even when tests failed; Greenlight answers `failed`, so
 * `[ "$status" = "completed" ] || exit 1` really stops a broken build.
 */
export type CiStatus = 'running' | 'completed' | 'failed' | 'aborted';

export function ciStatusOf(status: RunStatus): CiStatus {
  switch (status) {
    case 'queued':
    case 'running':
      return 'running';
    case 'passed':
      return 'completed';
    case 'cancelled':
      return 'aborted';
    default:
      return 'failed';
  }
}

/** The callback / status summary of seed 000: `{ runId, status, passed, failed, total, error }`. */
export interface CiSummary {
  runId: string;
  status: CiStatus;
  passed: number;
  failed: number;
  total: number;
  error: string | null;
}

export function ciSummaryOf(run: Run): CiSummary {
  return {
    runId: run.id,
    status: ciStatusOf(run.status),
    passed: run.passed,
    // Tests that could not run count as failed for a pipeline: they did not pass.
    failed: run.failed + run.errored,
    total: run.total,
    error: run.error,
  };
}
