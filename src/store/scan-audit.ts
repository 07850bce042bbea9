import { createHash } from 'node:crypto';
import { isUniqueViolation, fromJson, toJson, type RepoContext } from './sql-helpers.ts';

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The first entry's `prevHash`. */
const GENESIS = '0'.repeat(64);

/** The hash of an entry: everything it says, and the hash of the entry before it. */
function auditHash(projectId: string, e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256')
    .update(toJson([projectId, e.seq, e.at, e.actor, e.action, e.detail, e.prevHash]))
    .digest('hex');
}

export interface ScanAuditRepository {
  /** Add an entry at the end of the project's chain (retried when another writer got there first). */
  append(
    projectId: string,
    e: { actor: string; action: string; detail: Record<string, unknown> },
  ): Promise<AuditEntry>;
  /** Entries in order (`afterSeq` for paging), at most `limit`. */
  list(projectId: string, opts: { limit: number; afterSeq?: number }): Promise<AuditEntry[]>;
  /** Recompute the chain: the first entry whose hash or link does not hold, or null when intact. */
  verify(projectId: string): Promise<{ entries: number; brokenAt: number | null }>;
}

export function scanAuditRepository({ db, now }: RepoContext): ScanAuditRepository {
  const last = (projectId: string) =>
    db
      .selectFrom('scan_audit')
      .select(['seq', 'hash'])
      .where('project_id', '=', projectId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  return {
    async append(projectId, e) {
      for (let attempt = 0; ; attempt++) {
        const prev = await last(projectId);
        const body = {
          seq: Number(prev?.seq ?? 0) + 1,
          at: now(),
          actor: e.actor,
          action: e.action,
          detail: e.detail,
          prevHash: prev?.hash ?? GENESIS,
        };
        const hash = auditHash(projectId, body);
        try {
          await db
            .insertInto('scan_audit')
            .values({
              project_id: projectId,
              seq: body.seq,
              at: body.at,
              actor: body.actor,
              action: body.action,
              detail: toJson(body.detail),
              prev_hash: body.prevHash,
              hash,
            })
            .execute();
          return { ...body, hash };
        } catch (err) {
          // Two writers took the same seq: the primary key lets one win; the other re-links.
          if (!isUniqueViolation(err) || attempt >= 20) throw err;
        }
      }
    },

    async list(projectId, opts) {
      const rows = await db
        .selectFrom('scan_audit')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('seq', '>', opts.afterSeq ?? 0)
        .orderBy('seq')
        .limit(opts.limit)
        .execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        at: r.at,
        actor: r.actor,
        action: r.action,
        detail: fromJson(r.detail, 'scan_audit.detail'),
        prevHash: r.prev_hash,
        hash: r.hash,
      }));
    },

    async verify(projectId) {
      let prev = GENESIS;
      let n = 0;
      let after = 0;
      for (;;) {
        const page = await this.list(projectId, { limit: 1000, afterSeq: after });
        for (const e of page) {
          n++;
          const { hash, ...rest } = e;
          if (e.prevHash !== prev || auditHash(projectId, rest) !== hash || e.seq !== n)
            return { entries: n, brokenAt: e.seq };
          prev = hash;
          after = e.seq;
        }
        if (page.length < 1000) return { entries: n, brokenAt: null };
      }
    },
  };
}
