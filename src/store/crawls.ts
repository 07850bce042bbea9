import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { CrawlsTable } from './database.ts';
import { abandoned } from './process-leases.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

export const crawlStatuses = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type CrawlStatus = (typeof crawlStatuses)[number];

/** A crawl job. The site map is opaque here (the crawl layer owns its type). */
export interface CrawlRecord {
  id: string;
  projectId: string;
  status: CrawlStatus;
  options: Record<string, unknown>;
  pages: number;
  /** Draft tests created from the finished crawl. */
  generated: number;
  error: string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface CrawlRepository {
  create(c: {
    projectId: string;
    options: Record<string, unknown>;
    createdBy?: string | null;
    /** The process running it (its process lease id). */
    owner?: string | null;
  }): Promise<CrawlRecord>;
  get(projectId: string, id: string): Promise<CrawlRecord | undefined>;
  /** The stored site map JSON, parsed; undefined until the crawl ends. */
  siteMap(projectId: string, id: string): Promise<unknown>;
  markRunning(id: string): Promise<void>;
  /** Record the end of a crawl: status, site map (partial on cancel), page count, error. */
  finish(
    id: string,
    f: { status: CrawlStatus; siteMap?: unknown; pages: number; error?: string | null },
  ): Promise<void>;
  setGenerated(id: string, count: number): Promise<void>;
  /** Newest first. */
  list(projectId: string, limit: number): Promise<CrawlRecord[]>;
  /**
   * Crawls left queued/running by a process that is gone (its lease ran out, or no owner was
   * recorded): marked failed. Crawls of live processes are left alone.
   */
  failAbandoned(error: string): Promise<number>;
}

function toRecord(r: Selectable<CrawlsTable>): CrawlRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    status: r.status as CrawlStatus,
    options: fromJson<Record<string, unknown>>(r.options, 'crawls.options'),
    pages: Number(r.pages),
    generated: Number(r.generated),
    error: r.error,
    createdBy: r.created_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const MAX_ERROR = 2000;

export function crawlRepository({ db, now }: RepoContext): CrawlRepository {
  return {
    async create(c) {
      const row: Selectable<CrawlsTable> = {
        id: randomUUID(),
        project_id: c.projectId,
        status: 'queued',
        options: toJson(c.options),
        pages: 0,
        site_map: null,
        generated: 0,
        error: null,
        created_by: c.createdBy ?? null,
        created_at: now(),
        started_at: null,
        finished_at: null,
        owner: c.owner ?? null,
      };
      await db.insertInto('crawls').values(row).execute();
      return toRecord(row);
    },

    async get(projectId, id) {
      const row = await db
        .selectFrom('crawls')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async siteMap(projectId, id) {
      const row = await db
        .selectFrom('crawls')
        .select('site_map')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.site_map ? fromJson<unknown>(row.site_map, 'crawls.site_map') : undefined;
    },

    async markRunning(id) {
      await db
        .updateTable('crawls')
        .set({ status: 'running', started_at: now() })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .execute();
    },

    async finish(id, f) {
      await db
        .updateTable('crawls')
        .set({
          status: f.status,
          site_map: f.siteMap === undefined ? null : toJson(f.siteMap),
          pages: f.pages,
          error: f.error ? f.error.slice(0, MAX_ERROR) : null,
          finished_at: now(),
        })
        .where('id', '=', id)
        .execute();
    },

    async setGenerated(id, count) {
      await db.updateTable('crawls').set({ generated: count }).where('id', '=', id).execute();
    },

    async list(projectId, limit) {
      const rows = await db
        .selectFrom('crawls')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    async failAbandoned(error) {
      const at = now();
      const res = await db
        .updateTable('crawls')
        .set({ status: 'failed', error, finished_at: at })
        .where('id', 'in', abandoned(db, 'crawls', at))
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },
  };
}
