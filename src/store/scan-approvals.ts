import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { ScanApprovalsTable } from './scan-tables.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

export interface ScanApproval {
  id: string;
  projectId: string;
  scanId: string;
  runId: string | null;
  status: ApprovalStatus;
  fingerprints: string[];
  reason: string;
  requestedBy: string | null;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
  expiresAt: string | null;
}

export interface ScanApprovalRepository {
  create(a: {
    projectId: string;
    scanId: string;
    runId: string | null;
    fingerprints: string[];
    reason: string;
    requestedBy: string | null;
  }): Promise<ScanApproval>;
  get(projectId: string, id: string): Promise<ScanApproval | undefined>;
  list(
    projectId: string,
    opts: { status?: ApprovalStatus; limit: number },
  ): Promise<ScanApproval[]>;
  /** Decide a pending request; false when it was decided already. */
  decide(
    projectId: string,
    id: string,
    d: {
      status: 'approved' | 'rejected';
      by: string;
      comment: string | null;
      expiresAt: string | null;
    },
  ): Promise<boolean>;
  /** Approved, unexpired approvals: fingerprint → approval. */
  active(
    projectId: string,
    at: string,
  ): Promise<Map<string, { approvalId: string; expiresAt: string }>>;
}

function toApproval(r: Selectable<ScanApprovalsTable>): ScanApproval {
  return {
    id: r.id,
    projectId: r.project_id,
    scanId: r.scan_id,
    runId: r.run_id,
    status: r.status as ApprovalStatus,
    fingerprints: fromJson(r.fingerprints, 'scan_approvals.fingerprints'),
    reason: r.reason,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    comment: r.comment,
    expiresAt: r.expires_at,
  };
}

export function scanApprovalRepository({ db, now }: RepoContext): ScanApprovalRepository {
  return {
    async create(a) {
      const row: Selectable<ScanApprovalsTable> = {
        id: randomUUID(),
        project_id: a.projectId,
        scan_id: a.scanId,
        run_id: a.runId,
        status: 'pending',
        fingerprints: toJson([...a.fingerprints].sort()),
        reason: a.reason,
        requested_by: a.requestedBy,
        requested_at: now(),
        decided_by: null,
        decided_at: null,
        comment: null,
        expires_at: null,
      };
      await db.insertInto('scan_approvals').values(row).execute();
      return toApproval(row);
    },

    async get(projectId, id) {
      const r = await db
        .selectFrom('scan_approvals')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? toApproval(r) : undefined;
    },

    async list(projectId, opts) {
      let q = db.selectFrom('scan_approvals').selectAll().where('project_id', '=', projectId);
      if (opts.status) q = q.where('status', '=', opts.status);
      const rows = await q
        .orderBy('requested_at', 'desc')
        .orderBy('id')
        .limit(opts.limit)
        .execute();
      return rows.map(toApproval);
    },

    async decide(projectId, id, d) {
      const r = await db
        .updateTable('scan_approvals')
        .set({
          status: d.status,
          decided_by: d.by,
          decided_at: now(),
          comment: d.comment,
          expires_at: d.expiresAt,
        })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async active(projectId, at) {
      const rows = await db
        .selectFrom('scan_approvals')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('status', '=', 'approved')
        .where('expires_at', '>', at)
        .execute();
      const out = new Map<string, { approvalId: string; expiresAt: string }>();
      for (const r of rows.map(toApproval)) {
        for (const fp of r.fingerprints)
          out.set(fp, { approvalId: r.id, expiresAt: r.expiresAt as string });
      }
      return out;
    },
  };
}
