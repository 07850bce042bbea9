import { sql, type Selectable } from 'kysely';
import type { RunTriggersTable } from './database.ts';
import type { Db, RepoContext } from './sql-helpers.ts';

/** Which API shape created a run. */
export type TriggerShape = 'sentri' | 'aegis' | 'certyn';
export type { ConcurrencyPolicy } from '../domain/project.ts';
import type { ConcurrencyPolicy } from '../domain/project.ts';

/** Git metadata a pipeline sends with a trigger. */
export interface GitInfo {
  repository?: string;
  ref?: string;
  commitSha?: string;
  prNumber?: number;
}

/** What a CI trigger recorded beside its run. */
export interface RunTrigger {
  runId: string;
  projectId: string;
  shape: TriggerShape;
  concurrencyKey: string;
  policy: ConcurrencyPolicy;
  /** The run this one waits for (policy queue); null once released or never held. */
  blockedBy: string | null;
  strategy: string | null;
  browser: string | null;
  device: string | null;
  git: GitInfo;
  event: string | null;
  externalUrl: string | null;
  hasCallback: boolean;
  idempotencyKey: string | null;
  cancelReason: string | null;
  createdAt: string;
}

/** An unfinished run of a concurrency key. */
export interface ActiveRun {
  runId: string;
  status: string;
  createdAt: string;
  /** The run it waits for (policy queue), null when free to start. */
  blockedBy: string | null;
}

export interface RunTriggerRepository {
  insert(t: RunTrigger): Promise<void>;
  get(runId: string): Promise<RunTrigger | undefined>;
  /**
   * Hold the key until the current transaction ends, so that "is a run of this key active?" and
   * "record this one" are one step for every process on the database. PostgreSQL: an advisory
   * lock; SQLite: nothing to do, it has one writer and one process.
   */
  lockKey(projectId: string, key: string): Promise<void>;
  /** Queued or running runs of this key, oldest first. */
  activeForKey(projectId: string, key: string): Promise<ActiveRun[]>;
  /** Make the run's queued jobs unclaimable until `release` (same transaction as the enqueue). */
  holdJobs(runId: string): Promise<void>;
  /** Held runs whose blocker has finished (optionally: only those waiting for `blockerId`). */
  releasable(blockerId?: string): Promise<string[]>;
  /** Let a held run's jobs be claimed from `at`; false when it was not held (already released). */
  release(runId: string, at: string): Promise<boolean>;
  /** Record why a run was cancelled (the engine puts it in the run's error). */
  setCancelReason(runId: string, reason: string): Promise<void>;
}

/** Far enough in the future that no claim sees it as due; ISO text sorts like time. */
export const HELD_UNTIL = '9999-12-31T23:59:59.999Z';

/** First half of the two-key advisory lock: keeps these apart from other locks ("glck"). */
const KEY_LOCK_CLASS = 0x67_6c_63_6b;

const terminal = ['passed', 'failed', 'error', 'cancelled'];

/**
 * Let a run's held jobs be claimed from `at`, in one statement, unless the run still waits for
 * something else: another run (`blocked`, policy queue) or its crawl phase (`crawling`). Each of
 * the two releases checks the other, so whichever ends last lets the jobs go.
 */
export async function releaseHeldJobs(
  db: Db,
  runId: string,
  at: string,
  unless: 'blocked' | 'crawling',
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ run_after: at, updated_at: at })
    .where('run_id', '=', runId)
    .where('status', '=', 'queued')
    .where('run_after', '=', HELD_UNTIL)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          unless === 'blocked'
            ? selectFrom('run_triggers as t')
                .select('t.run_id')
                .whereRef('t.run_id', '=', 'jobs.run_id')
                .where('t.blocked_by', 'is not', null)
            : selectFrom('run_crawls as c')
                .select('c.run_id')
                .whereRef('c.run_id', '=', 'jobs.run_id')
                .where('c.status', 'in', ['pending', 'running']),
        ),
      ),
    )
    .execute();
}

function toRunTrigger(r: Selectable<RunTriggersTable>): RunTrigger {
  const git: GitInfo = {};
  if (r.git_repository !== null) git.repository = r.git_repository;
  if (r.git_ref !== null) git.ref = r.git_ref;
  if (r.git_commit_sha !== null) git.commitSha = r.git_commit_sha;
  if (r.git_pr_number !== null) git.prNumber = r.git_pr_number;
  return {
    runId: r.run_id,
    projectId: r.project_id,
    shape: r.shape as TriggerShape,
    concurrencyKey: r.concurrency_key,
    policy: r.policy as ConcurrencyPolicy,
    blockedBy: r.blocked_by,
    strategy: r.strategy,
    browser: r.browser,
    device: r.device,
    git,
    event: r.event,
    externalUrl: r.external_url,
    hasCallback: r.has_callback === 1,
    idempotencyKey: r.idempotency_key,
    cancelReason: r.cancel_reason,
    createdAt: r.created_at,
  };
}

export function runTriggerRepository({ db, dialect }: RepoContext): RunTriggerRepository {
  return {
    async lockKey(projectId, key) {
      if (dialect !== 'postgres') return;
      // A collision of two keys' hashes only makes them wait for each other, never wrong.
      await sql`select pg_advisory_xact_lock(${KEY_LOCK_CLASS}, hashtext(${`${projectId}|${key}`}))`.execute(
        db,
      );
    },

    async insert(t) {
      await db
        .insertInto('run_triggers')
        .values({
          run_id: t.runId,
          project_id: t.projectId,
          shape: t.shape,
          concurrency_key: t.concurrencyKey,
          policy: t.policy,
          blocked_by: t.blockedBy,
          strategy: t.strategy,
          browser: t.browser,
          device: t.device,
          git_repository: t.git.repository ?? null,
          git_ref: t.git.ref ?? null,
          git_commit_sha: t.git.commitSha ?? null,
          git_pr_number: t.git.prNumber ?? null,
          event: t.event,
          external_url: t.externalUrl,
          has_callback: t.hasCallback ? 1 : 0,
          idempotency_key: t.idempotencyKey,
          cancel_reason: t.cancelReason,
          created_at: t.createdAt,
        })
        .execute();
    },

    async get(runId) {
      const row = await db
        .selectFrom('run_triggers')
        .selectAll()
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return row && toRunTrigger(row);
    },

    async activeForKey(projectId, key) {
      const rows = await db
        .selectFrom('run_triggers as t')
        .innerJoin('runs as r', 'r.id', 't.run_id')
        .select([
          'r.id as runId',
          'r.status as status',
          'r.created_at as createdAt',
          't.blocked_by as blockedBy',
        ])
        .where('t.project_id', '=', projectId)
        .where('t.concurrency_key', '=', key)
        .where('r.status', 'in', ['queued', 'running'])
        .orderBy('r.created_at')
        .orderBy('r.id')
        .execute();
      return rows;
    },

    async holdJobs(runId) {
      await db
        .updateTable('jobs')
        .set({ run_after: HELD_UNTIL })
        .where('run_id', '=', runId)
        .where('status', '=', 'queued')
        .execute();
    },

    async releasable(blockerId) {
      let q = db
        .selectFrom('run_triggers as t')
        .innerJoin('runs as b', 'b.id', 't.blocked_by')
        .select('t.run_id')
        // Held runs only, by their index, whatever the number of runs (the join implies it).
        .where('t.blocked_by', 'is not', null)
        .where('b.status', 'in', terminal);
      if (blockerId !== undefined) q = q.where('t.blocked_by', '=', blockerId);
      const rows = await q.orderBy('t.created_at').execute();
      return rows.map((r) => r.run_id);
    },

    async release(runId, at) {
      const r = await db
        .updateTable('run_triggers')
        .set({ blocked_by: null })
        .where('run_id', '=', runId)
        .where('blocked_by', 'is not', null)
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return false;
      // A run that crawls first keeps its jobs until its crawl phase ends (run-crawls.ts).
      await releaseHeldJobs(db, runId, at, 'crawling');
      return true;
    },

    async setCancelReason(runId, reason) {
      await db
        .updateTable('run_triggers')
        .set({ cancel_reason: reason })
        .where('run_id', '=', runId)
        .execute();
    },
  };
}
