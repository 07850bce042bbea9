import { sql, type Selectable } from 'kysely';
import type { RunCrawlsTable } from './database.ts';
import { HELD_UNTIL, releaseHeldJobs } from './run-triggers.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

export const runCrawlStatuses = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;
export type RunCrawlStatus = (typeof runCrawlStatuses)[number];

/** What a run asked its crawl phase to do (AegisRunner's crawl fields). */
export interface RunCrawlRequest {
  /** Only these pages (absolute URLs on the run's base URL origin), no link following. */
  pages?: string[];
  maxPages?: number;
  maxDepth?: number;
  respectRobots?: boolean;
  /** Generated drafts include form tests that fill and submit safe forms. */
  fillForms?: boolean;
  /** Draft tests from the crawl go to the review queue (never into this run). */
  generateTests?: boolean;
}

/** What the phase found, once it ended. */
export interface RunCrawlSummary {
  pages: number;
  brokenLinks: number;
  serverErrors: number;
  /** Draft tests created for review. */
  generated: number;
}

export interface RunCrawl {
  runId: string;
  projectId: string;
  status: RunCrawlStatus;
  request: RunCrawlRequest;
  /** The crawl record (GET /projects/:id/crawls/:crawlId) once the crawl started. */
  crawlId: string | null;
  summary: RunCrawlSummary | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunCrawlRepository {
  /** Record the phase and hold the run's queued jobs until it ends (in the run's transaction). */
  insert(c: { runId: string; projectId: string; request: RunCrawlRequest }): Promise<void>;
  get(runId: string): Promise<RunCrawl | undefined>;
  /** True while the phase is pending or running. */
  unfinished(runId: string): Promise<boolean>;
  /**
   * Take the oldest phase that may start: pending (or running under a lease whose heartbeat is
   * older than `staleBefore`), of an unfinished run that waits for no other run. One process wins
   * each phase (a conditional update); the others see undefined or the next one.
   */
  claim(owner: string, at: string, staleBefore: string): Promise<RunCrawl | undefined>;
  /** Renew the lease; false when another process has taken the phase over. */
  heartbeat(runId: string, owner: string, at: string): Promise<boolean>;
  setCrawlId(runId: string, crawlId: string): Promise<void>;
  /** End the phase, only while `owner` holds it; false when the lease was lost. */
  finish(
    runId: string,
    owner: string,
    f: {
      status: Exclude<RunCrawlStatus, 'pending' | 'running'>;
      summary: RunCrawlSummary | null;
      error: string | null;
      at: string;
    },
  ): Promise<boolean>;
  /**
   * After the phase ended (committed): let the run's held jobs be claimed from `at`, unless the
   * run still waits for another run. Run it outside the phase's transaction.
   */
  releaseJobs(runId: string, at: string): Promise<void>;
  /** A run that ended before its phase started (cancelled): the phase will never run. */
  cancelPending(runId: string, at: string): Promise<void>;
}

const open = ['pending', 'running'];

function toRunCrawl(r: Selectable<RunCrawlsTable>): RunCrawl {
  return {
    runId: r.run_id,
    projectId: r.project_id,
    status: r.status as RunCrawlStatus,
    request: fromJson<RunCrawlRequest>(r.request, 'run_crawls.request'),
    crawlId: r.crawl_id,
    summary: r.summary === null ? null : fromJson<RunCrawlSummary>(r.summary, 'run_crawls.summary'),
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function runCrawlRepository({ db, now }: RepoContext): RunCrawlRepository {
  return {
    async insert(c) {
      await db
        .insertInto('run_crawls')
        .values({
          run_id: c.runId,
          project_id: c.projectId,
          status: 'pending',
          request: toJson(c.request),
          crawl_id: null,
          summary: null,
          error: null,
          locked_by: null,
          heartbeat_at: null,
          created_at: now(),
          started_at: null,
          finished_at: null,
        })
        .execute();
      await db
        .updateTable('jobs')
        .set({ run_after: HELD_UNTIL })
        .where('run_id', '=', c.runId)
        .where('status', '=', 'queued')
        .execute();
    },

    async get(runId) {
      const row = await db
        .selectFrom('run_crawls')
        .selectAll()
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return row && toRunCrawl(row);
    },

    async unfinished(runId) {
      const row = await db
        .selectFrom('run_crawls')
        .select('run_id')
        .where('run_id', '=', runId)
        .where('status', 'in', open)
        .executeTakeFirst();
      return row !== undefined;
    },

    async claim(owner, at, staleBefore) {
      const candidates = await db
        .selectFrom('run_crawls as c')
        .innerJoin('runs as r', 'r.id', 'c.run_id')
        .leftJoin('run_triggers as t', 't.run_id', 'c.run_id')
        .select('c.run_id')
        // A superset (running ones may hold a live lease): the update below decides.
        .where('c.status', 'in', open)
        .where('r.status', 'in', ['queued', 'running'])
        .where('t.blocked_by', 'is', null)
        // 'pending' sorts before 'running': waiting phases are tried first.
        .orderBy('c.status')
        .orderBy('c.created_at')
        .limit(20)
        .execute();
      for (const { run_id } of candidates) {
        const r = await db
          .updateTable('run_crawls')
          .set({
            status: 'running',
            locked_by: owner,
            heartbeat_at: at,
            started_at: sql<string>`coalesce(started_at, ${at})`,
          })
          .where('run_id', '=', run_id)
          .where((eb) =>
            eb.or([
              eb('status', '=', 'pending'),
              eb.and([eb('status', '=', 'running'), eb('heartbeat_at', '<', staleBefore)]),
            ]),
          )
          .executeTakeFirst();
        if (r.numUpdatedRows > 0n) return this.get(run_id);
      }
      return undefined;
    },

    async heartbeat(runId, owner, at) {
      const r = await db
        .updateTable('run_crawls')
        .set({ heartbeat_at: at })
        .where('run_id', '=', runId)
        .where('locked_by', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async setCrawlId(runId, crawlId) {
      await db
        .updateTable('run_crawls')
        .set({ crawl_id: crawlId })
        .where('run_id', '=', runId)
        .execute();
    },

    async finish(runId, owner, f) {
      const r = await db
        .updateTable('run_crawls')
        .set({
          status: f.status,
          summary: f.summary === null ? null : toJson(f.summary),
          error: f.error,
          finished_at: f.at,
          locked_by: null,
        })
        .where('run_id', '=', runId)
        .where('locked_by', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async releaseJobs(runId, at) {
      await releaseHeldJobs(db, runId, at, 'blocked');
    },

    async cancelPending(runId, at) {
      await db
        .updateTable('run_crawls')
        .set({ status: 'cancelled', finished_at: at, locked_by: null })
        .where('run_id', '=', runId)
        .where('status', '=', 'pending')
        .execute();
    },
  };
}
