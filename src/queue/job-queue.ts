import type { DataRow } from '../domain/data-set.ts';
import type { Run, TestResult } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { Job } from '../store/jobs.ts';

export type { Job } from '../store/jobs.ts';

/** One planned job: a test, and for a data test the row it runs with. */
export interface PlannedJob {
  testId: string;
  /** Data-set row index as text; '' for a plain test. */
  variant: string;
  /** A data test's row, snapshotted now so edits to the data set never reach a queued run. */
  row?: DataRow;
}

export interface InTransaction {
  /** Do the write inside this open store transaction (it becomes visible on commit). */
  tx?: Store;
}

/**
 * Where a run's work waits for a worker. One job is one test of one run. The implementation is
 * LocalQueue (durable in the store's jobs table, shared by every process on the database; see
 * "Job engine (issue 13)" in docs/design-notes.md); the engine only talks to this interface.
 */
export interface JobQueue {
  /**
   * One job per test id (or per planned test and data row), in plan order. With `tx`, the jobs
   * appear when that transaction commits.
   */
  enqueue(
    run: Pick<Run, 'id' | 'projectId'>,
    testIds: readonly (string | PlannedJob)[],
    opts?: InTransaction,
  ): Promise<Job[]>;
  /**
   * Wait for and lock the next job, never exceeding a run's parallelWorkers running jobs.
   * Resolves null once `signal` aborts or the queue closes.
   */
  claim(workerId: string, signal: AbortSignal): Promise<Job | null>;
  /**
   * Record the job's result and mark it done in one transaction, with whatever `alsoInTx`
   * writes (the result's lines in the run's stream log): a process killed after the commit has
   * written all of it, or none. False when the job was no longer ours (recovered by another
   * process); then nothing is written and `alsoInTx` is not called.
   */
  complete(job: Job, result: TestResult, alsoInTx?: (tx: Store) => Promise<void>): Promise<boolean>;
  /** Give the job back as a new attempt, claimable after `delayMs`. */
  retry(job: Job, opts: { delayMs: number; error: string }): Promise<boolean>;
  /** Give the job back untouched (a worker stopping cleanly); it keeps its attempt number. */
  release(job: Job): Promise<boolean>;
  /** Drop a claimed or queued job that must not run (its run has already finished). */
  discard(job: Job): Promise<void>;
  /** Cancel every queued job of a run; running ones are left to finish. Returns how many. */
  cancelRun(runId: string, opts?: InTransaction): Promise<number>;
  /** Whether any job of the run is still queued or running. */
  hasPending(runId: string): Promise<boolean>;
  /**
   * Jobs left running by a process that died (their lease expired) go back to the queue as a
   * new attempt; a live process's running jobs are left alone. Returns the jobs recovered.
   */
  recover(): Promise<Job[]>;
  /** Stop handing out jobs; pending claims resolve null. */
  close(): Promise<void>;
}
