import { randomUUID } from 'node:crypto';
import type { RepoContext } from './sql-helpers.ts';
import { fromJson, toJson } from './sql-helpers.ts';

/** A custom pack as stored: its YAML document is the source of truth. */
export interface StoredPack {
  id: string;
  name: string;
  document: string;
  createdAt: string;
  createdBy: string | null;
}

export interface StoredSuppression {
  id: string;
  rule: string;
  path?: string;
  fingerprint?: string;
  reason: string;
  approver: string;
  expires?: string;
  createdAt: string;
}

/** A project's scan settings: config, governance, custom packs, recorded suppressions. */
export interface ScanSettingsRepository {
  /** Stored config and governance (opaque JSON here), or null when never set. */
  get(
    projectId: string,
  ): Promise<{ config: unknown; governance: unknown; updatedAt: string } | null>;
  put(
    projectId: string,
    v: { config: unknown; governance: unknown; updatedBy: string | null },
  ): Promise<void>;
  packs(projectId: string): Promise<StoredPack[]>;
  /** Insert or replace a custom pack. */
  savePack(
    projectId: string,
    p: { id: string; name: string; document: string; createdBy: string | null },
  ): Promise<void>;
  deletePack(projectId: string, id: string): Promise<boolean>;
  suppressions(projectId: string): Promise<StoredSuppression[]>;
  addSuppression(
    projectId: string,
    s: Omit<StoredSuppression, 'id' | 'createdAt'>,
  ): Promise<StoredSuppression>;
  deleteSuppression(projectId: string, id: string): Promise<boolean>;
}

export function scanSettingsRepository({ db, now }: RepoContext): ScanSettingsRepository {
  return {
    async get(projectId) {
      const r = await db
        .selectFrom('scan_configs')
        .selectAll()
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return r
        ? {
            config: fromJson(r.config, 'scan_configs.config'),
            governance: fromJson(r.governance, 'scan_configs.governance'),
            updatedAt: r.updated_at,
          }
        : null;
    },

    async put(projectId, v) {
      const row = {
        config: toJson(v.config),
        governance: toJson(v.governance),
        updated_at: now(),
        updated_by: v.updatedBy,
      };
      const r = await db
        .updateTable('scan_configs')
        .set(row)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0)
        await db
          .insertInto('scan_configs')
          .values({ project_id: projectId, ...row })
          .execute();
    },

    async packs(projectId) {
      const rows = await db
        .selectFrom('scan_packs')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        document: r.document,
        createdAt: r.created_at,
        createdBy: r.created_by,
      }));
    },

    async savePack(projectId, p) {
      await db
        .deleteFrom('scan_packs')
        .where('project_id', '=', projectId)
        .where('id', '=', p.id)
        .execute();
      await db
        .insertInto('scan_packs')
        .values({
          project_id: projectId,
          id: p.id,
          name: p.name,
          document: p.document,
          created_at: now(),
          created_by: p.createdBy,
        })
        .execute();
    },

    async deletePack(projectId, id) {
      const r = await db
        .deleteFrom('scan_packs')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async suppressions(projectId) {
      const rows = await db
        .selectFrom('scan_suppressions')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        rule: r.rule_id,
        ...(r.path ? { path: r.path } : {}),
        ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
        reason: r.reason,
        approver: r.approver,
        ...(r.expires_at ? { expires: r.expires_at } : {}),
        createdAt: r.created_at,
      }));
    },

    async addSuppression(projectId, s) {
      const row = {
        id: randomUUID(),
        project_id: projectId,
        rule_id: s.rule,
        path: s.path ?? null,
        fingerprint: s.fingerprint ?? null,
        reason: s.reason,
        approver: s.approver,
        expires_at: s.expires ?? null,
        created_at: now(),
      };
      await db.insertInto('scan_suppressions').values(row).execute();
      return { ...s, id: row.id, createdAt: row.created_at };
    },

    async deleteSuppression(projectId, id) {
      const r = await db
        .deleteFrom('scan_suppressions')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
