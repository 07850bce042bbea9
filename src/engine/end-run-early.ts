import type { Run, RunCounts } from '../domain/run.ts';
import type { RunEvent } from '../events/event-bus.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { Store } from '../store/connect.ts';
import { logInTransaction } from './log-in-transaction.ts';

/** How a run ends before its tests do: a cancel or its time limit. */
export interface EarlyEnd {
  status: 'cancelled' | 'error';
  finishedAt: string;
  /** The run's error, from the counts of what had finished. */
  error: (counts: RunCounts) => string;
}

/**
 * In `tx`: cancel the run's queued jobs, finish the run with the counts of what had finished,
 * and write its `done` lines (logInTransaction). Returns the `run.finished` event to publish
 * once `tx` commits, or null when the run had already ended. Running tests are the caller's to
 * abort. Drain the run log writer first, outside the transaction.
 */
export async function endRunEarly(
  tx: Store,
  queue: JobQueue,
  run: Pick<Run, 'id' | 'projectId' | 'total'>,
  end: EarlyEnd,
): Promise<RunEvent | null> {
  await queue.cancelRun(run.id, { tx });
  const counts = { total: run.total, ...(await tx.results.tally(run.id)) };
  const error = end.error(counts);
  const { status, finishedAt } = end;
  if (!(await tx.runs.finish(run.id, { status, error, counts, finishedAt }))) return null;
  const e: RunEvent = {
    type: 'run.finished',
    runId: run.id,
    projectId: run.projectId,
    at: finishedAt,
    status,
    error,
    counts,
  };
  await logInTransaction(tx, [e]);
  return e;
}
