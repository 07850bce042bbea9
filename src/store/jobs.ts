import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { DataRow } from '../domain/data-set.ts';
import type { JobsTable } from './database.ts';
import { fromJson, toJson, type Db, type RepoContext } from './sql-helpers.ts';

export const jobStatuses = ['queued', 'running', 'done', 'cancelled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** One test of one run, as the queue stores it. */
export interface Job {
  id: string;
  runId: string;
  projectId: string;
  testId: string;
  /** Position in the run's plan. */
  seq: number;
  status: JobStatus;
  /** 1 for the first try; +1 each time the job is given back (crash, retry). */
  attempt: number;
  runAfter: string;
  lockedAt: string | null;
  lockedBy: string | null;
  /** While running: the holder's lease (ISO); past it, another process may take the job over. */
  leaseUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** Data-set row index as text; '' for a plain test. */
  variant: string;
  /** The data-set row this job runs with, as it was when the run was created; null: plain. */
  row: DataRow | null;
}

export interface NewJob {
  runId: string;
  projectId: string;
  testId: string;
  seq: number;
  /** Data-set row index as text; default '' (a plain test). */
  variant?: string;
  /** Snapshot of the data-set row (data tests only). */
  row?: DataRow | null;
}

export interface Requeue {
  /** Earliest time to claim it again (ISO); by default it keeps its place in the queue. */
  runAfter?: string;
  /** Count this as a new attempt (a crash or a retry) or not (a clean hand-back). */
  newAttempt: boolean;
  error: string | null;
}

export interface JobRepository {
  insertMany(jobs: NewJob[]): Promise<Job[]>;
  get(id: string): Promise<Job | undefined>;
  listByRun(runId: string): Promise<Job[]>;
  /**
   * Lock the next claimable job: queued, due, and of a run with fewer running jobs than its
   * parallelWorkers. Runs are served in the order they were queued, tests in plan order.
   */
  claimNext(lockedBy: string, leaseUntil: string): Promise<Job | undefined>;
  /** Extend the lease of a running job `lockedBy` still holds; false when it was lost. */
  renewLease(id: string, lockedBy: string, leaseUntil: string): Promise<boolean>;
  /** running → done, only while `lockedBy` still holds it; false means the lock was lost. */
  markDone(id: string, lockedBy: string): Promise<boolean>;
  /** running → queued again (only while `lockedBy` holds it). */
  requeue(id: string, lockedBy: string, r: Requeue): Promise<boolean>;
  /** A job that must not run (its run already finished): → cancelled. */
  discard(id: string): Promise<void>;
  /** Queued jobs of a run → cancelled; returns how many. */
  cancelQueued(runId: string): Promise<number>;
  /** Whether any job of the run is not yet done (queued or running). */
  hasPending(runId: string): Promise<boolean>;
  /**
   * Running jobs whose lease expired before `at` (their holder stopped renewing it: it died)
   * go back to the queue as a new attempt. A live holder's jobs are never touched.
   */
  requeueExpired(at: string, error: string): Promise<Job[]>;
  /**
   * Delete the jobs of runs that finished before `before` (their results hold what matters);
   * at most `limit` runs' worth at a time. Returns how many jobs went.
   */
  deleteFinished(before: string, limit?: number): Promise<number>;
  /** Running jobs held under a lock starting with `prefix` (a whole process's jobs). */
  runningLockedBy(prefix: string): Promise<Job[]>;
}

function toJob(r: Selectable<JobsTable>): Job {
  return {
    id: r.id,
    runId: r.run_id,
    projectId: r.project_id,
    testId: r.test_id,
    seq: r.seq,
    status: r.status as JobStatus,
    attempt: r.attempt,
    runAfter: r.run_after,
    lockedAt: r.locked_at,
    lockedBy: r.locked_by,
    leaseUntil: r.lease_until,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    variant: r.variant,
    row: r.variables === null ? null : fromJson<DataRow>(r.variables, 'jobs.variables'),
  };
}

let lastEnqueuedAt = '';
/**
 * Enqueue times strictly increase within a process, so two runs queued in the same millisecond
 * are still served first-come first-served (claims order by run_after).
 */
function enqueueStamp(at: string): string {
  if (at <= lastEnqueuedAt) at = new Date(Date.parse(lastEnqueuedAt) + 1).toISOString();
  lastEnqueuedAt = at;
  return at;
}

/**
 * The id of the next job to claim: for each unfinished run with a free slot (fewer running
 * jobs than its parallelWorkers), its first due queued job in plan order, read from the
 * `jobs_run_queue` index; of those, the one queued first. The cost depends on the number of
 * runs in flight, not on how many jobs they hold (a plan test checks the index is used).
 */
export function nextJobQuery(db: Db, due: string) {
  return db
    .selectFrom('runs as r')
    .innerJoin('jobs as j', (join) =>
      join.on((eb) =>
        eb(
          'j.id',
          '=',
          eb
            .selectFrom('jobs as q')
            .select('q.id')
            .whereRef('q.run_id', '=', 'r.id')
            .where('q.status', '=', 'queued')
            .where('q.run_after', '<=', due)
            .orderBy('q.run_after')
            .orderBy('q.seq')
            .limit(1),
        ),
      ),
    )
    .select('j.id')
    .where('r.status', 'in', ['queued', 'running'])
    .where((eb) =>
      eb(
        'r.parallel_workers',
        '>',
        eb
          .selectFrom('jobs as k')
          .select((k) => k.fn.countAll<number>().as('n'))
          .whereRef('k.run_id', '=', 'r.id')
          .where('k.status', '=', 'running'),
      ),
    )
    .orderBy('j.run_after')
    .orderBy('j.run_id')
    .orderBy('j.seq')
    .limit(1);
}

/** One job of the run still queued or running, if any (an index probe; see hasPending). */
export function pendingJobQuery(db: Db, runId: string) {
  return db
    .selectFrom('jobs')
    .select('id')
    .where('run_id', '=', runId)
    .where('status', 'in', ['queued', 'running'])
    .limit(1);
}

/** Key of the PostgreSQL advisory lock that serialises claims across processes. */
const CLAIM_LOCK = 0x67_6c_63_6c; // "glcl"

export function jobRepository({ db, dialect, now }: RepoContext): JobRepository {
  const claimIn = async (
    tx: Db,
    lockedBy: string,
    leaseUntil: string,
  ): Promise<Job | undefined> => {
    const at = now();
    // Jobs stamped a millisecond ahead by enqueueStamp are due already.
    const due = lastEnqueuedAt > at ? lastEnqueuedAt : at;
    // On PostgreSQL two claimers could both count "1 running < 2" and both take a job; the
    // transaction-scoped advisory lock makes the count-and-take one step. SQLite has a single
    // writer and runs the one statement below atomically.
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`.execute(tx);
    const next = nextJobQuery(tx, due);
    const row = await tx
      .updateTable('jobs')
      .set({
        status: 'running',
        locked_at: at,
        locked_by: lockedBy,
        lease_until: leaseUntil,
        updated_at: at,
      })
      .where('id', '=', next)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row && toJob(row);
  };

  return {
    async insertMany(jobs) {
      if (jobs.length === 0) return [];
      const at = enqueueStamp(now());
      const rows: Selectable<JobsTable>[] = jobs.map((j) => ({
        id: randomUUID(),
        run_id: j.runId,
        project_id: j.projectId,
        test_id: j.testId,
        seq: j.seq,
        status: 'queued',
        attempt: 1,
        run_after: at,
        locked_at: null,
        locked_by: null,
        lease_until: null,
        last_error: null,
        created_at: at,
        updated_at: at,
        variant: j.variant ?? '',
        variables: j.row ? toJson(j.row) : null,
      }));
      // Chunks keep each statement under SQLite's bound-parameter limit.
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('jobs')
          .values(rows.slice(i, i + 500))
          .execute();
      }
      return rows.map(toJob);
    },

    async get(id) {
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toJob(row);
    },

    async listByRun(runId) {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('seq')
        .execute();
      return rows.map(toJob);
    },

    async claimNext(lockedBy, leaseUntil) {
      if (db.isTransaction || dialect === 'sqlite') return claimIn(db, lockedBy, leaseUntil);
      return db.transaction().execute((tx) => claimIn(tx, lockedBy, leaseUntil));
    },

    async renewLease(id, lockedBy, leaseUntil) {
      const r = await db
        .updateTable('jobs')
        .set({ lease_until: leaseUntil })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('locked_by', '=', lockedBy)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async markDone(id, lockedBy) {
      const r = await db
        .updateTable('jobs')
        .set({ status: 'done', updated_at: now() })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('locked_by', '=', lockedBy)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async requeue(id, lockedBy, r) {
      const at = now();
      const res = await db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'queued',
          attempt: r.newAttempt ? eb('attempt', '+', 1) : eb.ref('attempt'),
          run_after: r.runAfter ?? eb.ref('run_after'),
          locked_at: null,
          locked_by: null,
          lease_until: null,
          last_error: r.error,
          updated_at: at,
        }))
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('locked_by', '=', lockedBy)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    async discard(id) {
      await db
        .updateTable('jobs')
        .set({
          status: 'cancelled',
          locked_at: null,
          locked_by: null,
          lease_until: null,
          updated_at: now(),
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .execute();
    },

    async cancelQueued(runId) {
      const r = await db
        .updateTable('jobs')
        .set({ status: 'cancelled', updated_at: now() })
        .where('run_id', '=', runId)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async hasPending(runId) {
      // One statement (a consistent view while jobs move between queued and running) that stops
      // at the first row the index gives, where a count would read every job left.
      return (await pendingJobQuery(db, runId).executeTakeFirst()) !== undefined;
    },

    async deleteFinished(before, limit = 100) {
      const runs = db
        .selectFrom('runs')
        .select('id')
        .where('status', 'in', ['passed', 'failed', 'error', 'cancelled'])
        .where('finished_at', '<', before)
        .where(({ exists, selectFrom }) =>
          exists(selectFrom('jobs as d').select('d.id').whereRef('d.run_id', '=', 'runs.id')),
        )
        .limit(limit);
      const r = await db.deleteFrom('jobs').where('run_id', 'in', runs).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async runningLockedBy(prefix) {
      // Compared in code, not with LIKE: a host name may hold LIKE's wildcards.
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'running')
        .where('locked_by', '>=', prefix)
        .where('locked_by', '<', `${prefix}\uffff`)
        .execute();
      return rows.filter((r) => r.locked_by?.startsWith(prefix)).map(toJob);
    },

    async requeueExpired(at, error) {
      const rows = await db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'queued',
          attempt: eb('attempt', '+', 1),
          locked_at: null,
          locked_by: null,
          lease_until: null,
          last_error: error,
          updated_at: now(),
        }))
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
        .returningAll()
        .execute();
      return rows.map(toJob);
    },
  };
}
