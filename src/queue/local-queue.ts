import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { TestResult } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { InTransaction, Job, JobQueue, PlannedJob } from './job-queue.ts';

export interface LocalQueueOptions {
  /**
   * How often an idle worker looks again without being woken. Enqueues, completions and due
   * retries in this process wake workers at once; the poll only catches other writers.
   */
  pollIntervalMs?: number;
  clock?: () => Date;
}

/**
 * The embedded queue: jobs live in the store's `jobs` table (so they survive a crash) and are
 * claimed by this process's workers. It assumes it is the only consumer of its database; many
 * processes sharing one PostgreSQL use the pg-boss queue instead.
 */
export class LocalQueue implements JobQueue {
  /** Prefix of every lock this queue takes, so recovery can tell its own jobs from dead ones. */
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #store: Store;
  readonly #pollMs: number;
  readonly #clock: () => Date;
  #closed = false;
  /** Bumped on every wake-up; a claimer that saw an older value does not go to sleep. */
  #generation = 0;
  #sleepers = new Set<() => void>();

  constructor(store: Store, opts: LocalQueueOptions = {}) {
    this.#store = store;
    this.#pollMs = opts.pollIntervalMs ?? 1_000;
    this.#clock = opts.clock ?? (() => new Date());
  }

  async enqueue(
    run: { id: string; projectId: string },
    testIds: readonly (string | PlannedJob)[],
    opts: InTransaction = {},
  ): Promise<Job[]> {
    const s = opts.tx ?? this.#store;
    const jobs = await s.jobs.insertMany(
      testIds.map((t, seq) => ({
        runId: run.id,
        projectId: run.projectId,
        ...(typeof t === 'string' ? { testId: t } : t),
        seq,
      })),
    );
    s.afterCommit(() => this.#wake());
    return jobs;
  }

  async claim(workerId: string, signal: AbortSignal): Promise<Job | null> {
    const lockedBy = `${this.id}/${workerId}`;
    while (!signal.aborted && !this.#closed) {
      const seen = this.#generation;
      const job = await this.#store.jobs.claimNext(lockedBy);
      if (job) return job;
      await this.#sleep(seen, signal);
    }
    return null;
  }

  async complete(job: Job, result: TestResult): Promise<boolean> {
    const lockedBy = this.#lockOf(job);
    const ok = await this.#store.transaction(async (tx) => {
      if (!(await tx.jobs.markDone(job.id, lockedBy))) return false;
      await tx.results.insert(job.projectId, result);
      return true;
    });
    // A finished job frees a slot of its run's parallelism limit.
    this.#wake();
    return ok;
  }

  async retry(job: Job, opts: { delayMs: number; error: string }): Promise<boolean> {
    const runAfter = new Date(this.#clock().getTime() + Math.max(0, opts.delayMs)).toISOString();
    const ok = await this.#store.jobs.requeue(job.id, this.#lockOf(job), {
      runAfter,
      newAttempt: true,
      error: opts.error,
    });
    // Wake the workers when the job falls due instead of waiting for the next poll.
    const timer = setTimeout(() => this.#wake(), Math.max(0, opts.delayMs) + 5);
    timer.unref();
    return ok;
  }

  async release(job: Job): Promise<boolean> {
    const ok = await this.#store.jobs.requeue(job.id, this.#lockOf(job), {
      newAttempt: false,
      error: null,
    });
    this.#wake();
    return ok;
  }

  async discard(job: Job): Promise<void> {
    await this.#store.jobs.discard(job.id);
    this.#wake();
  }

  async cancelRun(runId: string, opts: InTransaction = {}): Promise<number> {
    return (opts.tx ?? this.#store).jobs.cancelQueued(runId);
  }

  async pending(runId: string): Promise<number> {
    return this.#store.jobs.pending(runId);
  }

  async recover(): Promise<Job[]> {
    const jobs = await this.#store.jobs.requeueAbandoned(
      this.id,
      'the process running this test stopped before it finished',
    );
    if (jobs.length > 0) this.#wake();
    return jobs;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
  }

  #lockOf(job: Job): string {
    if (job.lockedBy === null) throw new Error(`job ${job.id} was not claimed`);
    return job.lockedBy;
  }

  #wake(): void {
    this.#generation++;
    for (const wake of this.#sleepers) wake();
    this.#sleepers.clear();
  }

  /** Until woken, aborted, or the poll interval passes; returns at once if woken meanwhile. */
  #sleep(seen: number, signal: AbortSignal): Promise<void> {
    if (seen !== this.#generation || signal.aborted || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#pollMs);
      signal.addEventListener('abort', done, { once: true });
      this.#sleepers.add(done);
    });
  }
}
