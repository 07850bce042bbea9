import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { ScanFinding } from '../domain/scan.ts';
import type { ScansTable } from './scan-tables.ts';
import { abandoned } from './process-leases.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

export const scanStatuses = ['queued', 'running', 'passed', 'failed', 'error'] as const;
export type ScanStatus = (typeof scanStatuses)[number];

/** A scan as stored; summary and gate are opaque JSON here (the scan layer owns their types). */
export interface ScanRecord {
  id: string;
  projectId: string;
  runId: string | null;
  status: ScanStatus;
  source: string;
  branch: string | null;
  commitSha: string | null;
  base: string | null;
  request: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  gate: Record<string, unknown> | null;
  warnings: string[];
  error: string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface FindingQuery {
  severity?: string;
  ruleId?: string;
  status?: string;
  file?: string;
  limit: number;
  offset: number;
}

export interface ScanRepository {
  create(s: {
    projectId: string;
    runId?: string | null;
    source: string;
    branch?: string | null;
    commitSha?: string | null;
    base?: string | null;
    request: Record<string, unknown>;
    createdBy?: string | null;
    /** The process running it (its process lease id). */
    owner?: string | null;
  }): Promise<ScanRecord>;
  get(projectId: string | null, id: string): Promise<ScanRecord | undefined>;
  forRun(runId: string): Promise<ScanRecord | undefined>;
  markRunning(id: string): Promise<void>;
  /** Record the end of a scan and its findings in one go (findings are written once). */
  finish(
    id: string,
    f: {
      status: ScanStatus;
      summary: unknown;
      gate: unknown;
      warnings: string[];
      error: string | null;
      findings: ScanFinding[];
    },
  ): Promise<boolean>;
  /** Newest first. */
  list(
    projectId: string,
    opts: { limit: number; offset?: number; runId?: string },
  ): Promise<ScanRecord[]>;
  /** The newest finished scan of a branch (its fingerprints are that branch's baseline). */
  latestOnBranch(projectId: string, branch: string): Promise<ScanRecord | undefined>;
  findings(scanId: string, q: FindingQuery): Promise<{ findings: ScanFinding[]; total: number }>;
  fingerprints(scanId: string): Promise<Set<string>>;
  /**
   * Scans left queued/running by a process that is gone (its lease ran out, or no owner was
   * recorded): marked error. Scans of live processes are left alone.
   */
  failAbandoned(error: string): Promise<ScanRecord[]>;
}

function toRecord(r: Selectable<ScansTable>): ScanRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    runId: r.run_id,
    status: r.status as ScanStatus,
    source: r.source,
    branch: r.branch,
    commitSha: r.commit_sha,
    base: r.base,
    request: fromJson(r.request, 'scans.request'),
    summary: r.summary ? fromJson(r.summary, 'scans.summary') : null,
    gate: r.gate ? fromJson(r.gate, 'scans.gate') : null,
    warnings: fromJson(r.warnings, 'scans.warnings'),
    error: r.error,
    createdBy: r.created_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const FINISHED = ['passed', 'failed', 'error'];

export function scanRepository({ db, now }: RepoContext): ScanRepository {
  return {
    async create(s) {
      const row: Selectable<ScansTable> = {
        id: randomUUID(),
        project_id: s.projectId,
        run_id: s.runId ?? null,
        status: 'queued',
        source: s.source,
        branch: s.branch ?? null,
        commit_sha: s.commitSha ?? null,
        base: s.base ?? null,
        request: toJson(s.request),
        summary: null,
        gate: null,
        warnings: '[]',
        error: null,
        created_by: s.createdBy ?? null,
        created_at: now(),
        started_at: null,
        finished_at: null,
        owner: s.owner ?? null,
      };
      await db.insertInto('scans').values(row).execute();
      return toRecord(row);
    },

    async get(projectId, id) {
      let q = db.selectFrom('scans').selectAll().where('id', '=', id);
      if (projectId !== null) q = q.where('project_id', '=', projectId);
      const row = await q.executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async forRun(runId) {
      const row = await db
        .selectFrom('scans')
        .selectAll()
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async markRunning(id) {
      await db
        .updateTable('scans')
        .set({ status: 'running', started_at: now() })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .execute();
    },

    async finish(id, f) {
      const scan = await db
        .selectFrom('scans')
        .select(['project_id', 'status'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!scan || FINISHED.includes(scan.status)) return false;
      const rows = f.findings.map((x) => ({
        id: randomUUID(),
        scan_id: id,
        project_id: scan.project_id,
        fingerprint: x.fingerprint ?? '',
        rule_id: x.ruleId,
        severity: x.severity,
        status: x.status ?? 'new',
        file: x.file,
        start_line: x.startLine ?? null,
        suppressed: x.suppressed ? 1 : 0,
        data: toJson(x),
      }));
      // Batches keep each statement under SQLite's and PostgreSQL's parameter limits.
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('scan_findings')
          .values(rows.slice(i, i + 500))
          .execute();
      }
      const r = await db
        .updateTable('scans')
        .set({
          status: f.status,
          summary: toJson(f.summary),
          gate: toJson(f.gate),
          warnings: toJson(f.warnings),
          error: f.error ? f.error.slice(0, 4000) : null,
          finished_at: now(),
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async list(projectId, opts) {
      let q = db.selectFrom('scans').selectAll().where('project_id', '=', projectId);
      if (opts.runId) q = q.where('run_id', '=', opts.runId);
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(opts.limit)
        .offset(opts.offset ?? 0)
        .execute();
      return rows.map(toRecord);
    },

    async latestOnBranch(projectId, branch) {
      const row = await db
        .selectFrom('scans')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('branch', '=', branch)
        .where('status', 'in', ['passed', 'failed'])
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async findings(scanId, q) {
      let base = db.selectFrom('scan_findings').where('scan_id', '=', scanId);
      if (q.severity) base = base.where('severity', '=', q.severity);
      if (q.ruleId) base = base.where('rule_id', '=', q.ruleId);
      if (q.status) base = base.where('status', '=', q.status);
      if (q.file) base = base.where('file', '=', q.file);
      const [rows, count] = await Promise.all([
        base
          .select('data')
          .orderBy('file')
          .orderBy('start_line')
          .orderBy('id')
          .limit(q.limit)
          .offset(q.offset)
          .execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
      ]);
      return {
        findings: rows.map((r) => fromJson<ScanFinding>(r.data, 'scan_findings.data')),
        total: Number(count?.n ?? 0),
      };
    },

    async fingerprints(scanId) {
      const rows = await db
        .selectFrom('scan_findings')
        .select('fingerprint')
        .where('scan_id', '=', scanId)
        .execute();
      return new Set(rows.map((r) => r.fingerprint));
    },

    async failAbandoned(error) {
      const at = now();
      const rows = await db
        .selectFrom('scans')
        .selectAll()
        .where('id', 'in', abandoned(db, 'scans', at))
        .execute();
      if (rows.length === 0) return [];
      // Only those still unfinished now: a scan may have ended between the two statements.
      const ended = await db
        .updateTable('scans')
        .set({ status: 'error', error, finished_at: at })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .where('status', 'in', ['queued', 'running'])
        .returning('id')
        .execute();
      const ids = new Set(ended.map((r) => r.id));
      return rows
        .filter((r) => ids.has(r.id))
        .map((r) => ({ ...toRecord(r), status: 'error' as const, error }));
    },
  };
}
