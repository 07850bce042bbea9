import {
  workspaceSettingSchemas,
  type WorkspaceSettingName,
  type WorkspaceSettingValue,
} from '../domain/workspace-settings.ts';
import type { SecretBox } from './secret-box.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';
import { defined } from '../domain/defined.ts';

/** One stored setting: its value, its secret in clear (never sent out by the API), who set it. */
export interface StoredSetting<N extends WorkspaceSettingName> {
  value: WorkspaceSettingValue<N>;
  secret: string | null;
  updatedAt: string;
  updatedBy: string | null;
}

export interface WorkspaceSettingsRepository {
  get<N extends WorkspaceSettingName>(
    workspaceId: string,
    name: N,
  ): Promise<StoredSetting<N> | undefined>;
  /** Insert or replace; `secret` undefined keeps the stored one, null removes it. */
  set<N extends WorkspaceSettingName>(
    workspaceId: string,
    name: N,
    value: WorkspaceSettingValue<N>,
    opts: { secret?: string | null; by: string | null },
  ): Promise<StoredSetting<N>>;
  /** Remove the setting (its default applies again); false when there was none. */
  remove(workspaceId: string, name: WorkspaceSettingName): Promise<boolean>;
  /** The value of one setting in every workspace that has it (background jobs). */
  everywhere<N extends WorkspaceSettingName>(
    name: N,
  ): Promise<Map<string, WorkspaceSettingValue<N>>>;
}

/** Workspace settings; secrets are encrypted with the store's box, values checked when read. */
export function workspaceSettingsRepository(
  { db, now }: RepoContext,
  box: SecretBox,
): WorkspaceSettingsRepository {
  const parse = <N extends WorkspaceSettingName>(name: N, text: string): WorkspaceSettingValue<N> =>
    workspaceSettingSchemas[name].parse(
      fromJson<unknown>(text, `workspace_settings.${name}`),
    ) as WorkspaceSettingValue<N>;

  const repo: WorkspaceSettingsRepository = {
    async get(workspaceId, name) {
      const row = await db
        .selectFrom('workspace_settings')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        value: parse(name, row.value),
        secret: row.secret === null ? null : box.decrypt(row.secret),
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      };
    },

    async set(workspaceId, name, value, opts) {
      const at = now();
      const secret =
        opts.secret === undefined
          ? undefined
          : opts.secret === null
            ? null
            : box.encrypt(opts.secret);
      const row = {
        workspace_id: workspaceId,
        name,
        value: toJson(value),
        secret: secret ?? null,
        updated_at: at,
        updated_by: opts.by,
      };
      await db
        .insertInto('workspace_settings')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'name']).doUpdateSet({
            value: row.value,
            updated_at: at,
            updated_by: opts.by,
            ...defined({ secret }),
          }),
        )
        .execute();
      const stored = await repo.get(workspaceId, name);
      if (!stored) throw new Error(`workspace setting ${name} vanished after it was written`);
      return stored;
    },

    async remove(workspaceId, name) {
      const r = await db
        .deleteFrom('workspace_settings')
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return r.numDeletedRows > 0n;
    },

    async everywhere(name) {
      const rows = await db
        .selectFrom('workspace_settings')
        .select(['workspace_id', 'value'])
        .where('name', '=', name)
        .execute();
      return new Map(rows.map((r) => [r.workspace_id, parse(name, r.value)]));
    },
  };
  return repo;
}
