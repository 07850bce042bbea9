import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { TestResult } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { InTransaction, Job, JobQueue, PlannedJob } from './job-queue.ts';
import type { WakeChannel } from './wake-channel.ts';

export interface LocalQueueOptions {
  /**
   * How often an idle worker looks again without being woken. Enqueues, completions and due
   * retries in this process wake workers at once; the poll only catches other writers (and,
   * with a `wakeChannel`, messages lost while its connection was down).
   */
  pollIntervalMs?: number;
  /**
   * Shared by every process on the database (PostgreSQL): whatever makes a job claimable here
   * is announced on it, and what other processes announce wakes the workers here at once.
   */
  wakeChannel?: WakeChannel;
  clock?: () => Date;
  /**
   * How long a claimed job stays ours without a heartbeat (default 30 s). The holder renews it
   * every third of that; another process sharing the database takes the job over only after
   * it expired, i.e. after the holder died or hung.
   */
  leaseMs?: number;
  /**
   * How long the jobs of a finished run are kept (default 1 h) before an idle worker deletes
   * them; the run's results stay.
   */
  keepFinishedJobsMs?: number;
}

/** Why a job whose holder's lease expired runs again. */
const ABANDONED = 'the process running this test stopped before it finished';

/**
 * The embedded queue: jobs live in the store's `jobs` table (so they survive a crash) and are
 * claimed by this process's workers. Several processes may share one database (`greenlight run`
 * beside `greenlight serve`, two servers on one PostgreSQL): each claim is atomic, each running
 * job carries its holder's lease, and only jobs whose lease expired are taken over.
 */
export class LocalQueue implements JobQueue {
  /** Prefix of every lock this queue takes, so recovery can tell its own jobs from dead ones. */
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #store: Store;
  readonly #pollMs: number;
  readonly #clock: () => Date;
  readonly #leaseMs: number;
  /** Jobs this queue holds now (id → lock), renewed by the heartbeat. */
  readonly #held = new Map<string, string>();
  #heartbeat: NodeJS.Timeout | null = null;
  #lastSweep = 0;
  #lastPurge = 0;
  readonly #purgeEveryMs: number;
  readonly #keepFinishedMs: number;
  #closed = false;
  /** Bumped on every wake-up; a claimer that saw an older value does not go to sleep. */
  #generation = 0;
  #sleepers = new Set<() => void>();
  readonly #channel: WakeChannel | null;
  /** An announcement is due at the next turn of the event loop (several coalesce into one). */
  #announcing = false;

  constructor(store: Store, opts: LocalQueueOptions = {}) {
    this.#store = store;
    this.#pollMs = opts.pollIntervalMs ?? 1_000;
    this.#clock = opts.clock ?? (() => new Date());
    this.#leaseMs = Math.max(1, opts.leaseMs ?? 30_000);
    this.#keepFinishedMs = opts.keepFinishedJobsMs ?? 60 * 60_000;
    this.#purgeEveryMs = Math.min(10 * 60_000, this.#keepFinishedMs);
    this.#channel = opts.wakeChannel ?? null;
    // Our own announcements come back too; this process's workers were woken when it sent them.
    this.#channel?.onMessage((from) => {
      if (from !== this.id) this.#wake();
    });
  }

  /** Claimers asleep now, waiting to be woken or for the next poll (idle workers). */
  get idleClaimers(): number {
    return this.#sleepers.size;
  }

  /**
   * Delete the jobs of runs finished longer ago than `keepFinishedJobsMs`: the table holds
   * what is in flight, not every job ever run. Returns how many went.
   */
  async purgeFinished(): Promise<number> {
    const before = new Date(this.#clock().getTime() - this.#keepFinishedMs).toISOString();
    let total = 0;
    for (let i = 0; i < 100; i++) {
      const n = await this.#store.jobs.deleteFinished(before);
      total += n;
      if (n === 0) break;
    }
    return total;
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
    s.afterCommit(() => this.#wake(true));
    return jobs;
  }

  async claim(workerId: string, signal: AbortSignal): Promise<Job | null> {
    const lockedBy = `${this.id}/${workerId}`;
    while (!signal.aborted && !this.#closed) {
      const seen = this.#generation;
      const job = await this.#store.jobs.claimNext(lockedBy, this.#leaseEnd());
      if (job) {
        this.#hold(job.id, lockedBy);
        return job;
      }
      // Idle: take over jobs whose holder died (its lease ran out) every so often.
      const now = this.#clock().getTime();
      if (now - this.#lastSweep >= this.#leaseMs / 2) {
        this.#lastSweep = now;
        if ((await this.recover()).length > 0) continue;
      }
      if (now - this.#lastPurge >= this.#purgeEveryMs) {
        this.#lastPurge = now;
        await this.purgeFinished().catch(() => undefined);
      }
      await this.#sleep(seen, signal);
    }
    return null;
  }

  async complete(
    job: Job,
    result: TestResult,
    alsoInTx?: (tx: Store) => Promise<void>,
  ): Promise<boolean> {
    const lockedBy = this.#lockOf(job);
    this.#held.delete(job.id);
    const ok = await this.#store.transaction(async (tx) => {
      if (!(await tx.jobs.markDone(job.id, lockedBy))) return false;
      await tx.results.insert(job.projectId, result);
      await alsoInTx?.(tx);
      return true;
    });
    // A finished job frees a slot of its run's parallelism limit, for any process.
    this.#wake(true);
    return ok;
  }

  async retry(job: Job, opts: { delayMs: number; error: string }): Promise<boolean> {
    const runAfter = new Date(this.#clock().getTime() + Math.max(0, opts.delayMs)).toISOString();
    this.#held.delete(job.id);
    const ok = await this.#store.jobs.requeue(job.id, this.#lockOf(job), {
      runAfter,
      newAttempt: true,
      error: opts.error,
    });
    // Wake the workers when the job falls due instead of waiting for the next poll.
    const timer = setTimeout(() => this.#wake(true), Math.max(0, opts.delayMs) + 5);
    timer.unref();
    return ok;
  }

  async release(job: Job): Promise<boolean> {
    this.#held.delete(job.id);
    const ok = await this.#store.jobs.requeue(job.id, this.#lockOf(job), {
      newAttempt: false,
      error: null,
    });
    this.#wake(true);
    return ok;
  }

  async discard(job: Job): Promise<void> {
    this.#held.delete(job.id);
    await this.#store.jobs.discard(job.id);
    this.#wake(true);
  }

  async cancelRun(runId: string, opts: InTransaction = {}): Promise<number> {
    return (opts.tx ?? this.#store).jobs.cancelQueued(runId);
  }

  async hasPending(runId: string): Promise<boolean> {
    return this.#store.jobs.hasPending(runId);
  }

  async recover(): Promise<Job[]> {
    const jobs = await this.#store.jobs.requeueExpired(this.#clock().toISOString(), ABANDONED);
    // A process of this machine that is gone (kill -9, a crash) need not be waited out.
    const host = `${hostname()}:`;
    for (const job of await this.#store.jobs.runningLockedBy(host)) {
      const pid = Number(job.lockedBy?.slice(host.length).split(':')[0]);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
      const lock = this.#lockOf(job);
      if (await this.#store.jobs.requeue(job.id, lock, { newAttempt: true, error: ABANDONED })) {
        jobs.push({ ...job, status: 'queued', attempt: job.attempt + 1, lockedBy: null });
      }
    }
    if (jobs.length > 0) this.#wake(true);
    return jobs;
  }

  async close(): Promise<void> {
    // Jobs handed back while stopping are for the other processes to take: tell them now.
    this.#announce();
    this.#closed = true;
    // Jobs still held stop being renewed: like a process that died, their leases run out.
    this.#stopHeartbeat();
    this.#held.clear();
    this.#wake();
  }

  #leaseEnd(): string {
    return new Date(this.#clock().getTime() + this.#leaseMs).toISOString();
  }

  #hold(jobId: string, lockedBy: string): void {
    this.#held.set(jobId, lockedBy);
    if (this.#heartbeat || this.#closed) return;
    this.#heartbeat = setInterval(() => void this.#renew(), Math.max(1, this.#leaseMs / 3));
    // A heartbeat alone must not keep the process alive.
    this.#heartbeat.unref();
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) return this.#stopHeartbeat();
    const until = this.#leaseEnd();
    for (const [id, lockedBy] of [...this.#held]) {
      try {
        // A lost lock (taken over after a long stall) is not ours to renew any more.
        if (!(await this.#store.jobs.renewLease(id, lockedBy, until))) this.#held.delete(id);
      } catch {
        // A store hiccup: the next beat tries again, well before the lease runs out.
      }
    }
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  #lockOf(job: Job): string {
    if (job.lockedBy === null) throw new Error(`job ${job.id} was not claimed`);
    return job.lockedBy;
  }

  /** Wake this process's idle workers; `announce`: the other processes' ones too. */
  #wake(announce = false): void {
    this.#generation++;
    for (const wake of this.#sleepers) wake();
    this.#sleepers.clear();
    if (announce && this.#channel && !this.#closed && !this.#announcing) {
      this.#announcing = true;
      setImmediate(() => this.#announce());
    }
  }

  /** Send the announcement that is due (once, however many changes asked for it). */
  #announce(): void {
    if (!this.#announcing) return;
    this.#announcing = false;
    this.#channel?.send(this.id);
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

/** Whether a process of this machine still exists (signal 0 only checks). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
