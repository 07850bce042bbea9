import type { Logger } from 'pino';
import type { JobQueue } from '../queue/job-queue.ts';
import type { Store } from '../store/connect.ts';

export interface RecoveryReport {
  /** Jobs a dead process left running, now queued again. */
  requeuedJobs: number;
  /** Unfinished runs with nothing left to do, given their verdict now. */
  finishedRuns: number;
  /** Unfinished runs whose remaining jobs the workers will take. */
  resumedRuns: number;
  /** Unfinished runs past their time limit, finished as timed out. */
  timedOutRuns: number;
}

/** The per-run time limit, as recovery needs it (see RunTimeouts). */
export interface RecoveryTimeouts {
  expireIfDue(runId: string): Promise<boolean>;
  arm(runId: string, startedAt: string, timeoutMs: number | null): void;
}

/**
 * Make a restarted process pick up where the dead one stopped. Results already recorded stay
 * (each was committed with its job's `done`); jobs that were running go back to the queue; a
 * run whose jobs are all done but that never got its verdict (the process died in between) is
 * finished now; a run past its time limit is finished as timed out, and the others' limits are
 * watched again. After this, no run can stay `running` forever.
 */
export async function recoverRuns(
  store: Store,
  queue: JobQueue,
  finishRun: (runId: string) => Promise<void>,
  logger: Logger,
  timeouts?: RecoveryTimeouts,
): Promise<RecoveryReport> {
  const requeued = await queue.recover();
  const report: RecoveryReport = {
    requeuedJobs: requeued.length,
    finishedRuns: 0,
    resumedRuns: 0,
    timedOutRuns: 0,
  };
  for (const run of await store.runs.unfinished()) {
    if (timeouts && (await timeouts.expireIfDue(run.id))) {
      report.timedOutRuns++;
    } else if (await store.runCrawls.unfinished(run.id)) {
      // Its crawl phase is still to run (or taken over once its lease expires): not over yet.
      report.resumedRuns++;
    } else if (!(await queue.hasPending(run.id))) {
      await finishRun(run.id);
      report.finishedRuns++;
    } else {
      report.resumedRuns++;
      const options = run.startedAt ? await store.runs.options(run.id) : undefined;
      if (run.startedAt && options) timeouts?.arm(run.id, run.startedAt, options.timeoutMs);
    }
  }
  if (report.requeuedJobs + report.finishedRuns + report.resumedRuns + report.timedOutRuns > 0) {
    logger.info(report, 'recovered unfinished runs');
  }
  return report;
}
