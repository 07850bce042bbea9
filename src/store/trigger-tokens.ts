import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { TriggerTokensTable } from './database.ts';
import { mintSecret } from './secrets.ts';
import type { RepoContext } from './sql-helpers.ts';

/** Project trigger tokens start with this. */
export const TRIGGER_TOKEN_PREFIX = 'glt_';

/** What a trigger token opens: the trigger endpoints, the scan gate (sentrik's API), or both. */
export const triggerTokenScopes = ['trigger', 'scan'] as const;
export type TriggerTokenScope = (typeof triggerTokenScopes)[number];

/** A project trigger token as listed: never the secret, only its first characters. */
export interface TriggerToken {
  id: string;
  projectId: string;
  name: string;
  prefix: string;
  scopes: TriggerTokenScope[];
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A token found by its hash, with the workspace of its (live) project. */
export interface TriggerTokenMatch extends TriggerToken {
  tokenHash: string;
  workspaceId: string | null;
}

export interface TriggerTokenRepository {
  create(
    projectId: string,
    i: {
      name: string;
      expiresAt?: string | null;
      createdBy?: string | null;
      scopes?: TriggerTokenScope[];
    },
  ): Promise<{ token: string; record: TriggerToken }>;
  /** A token of a live project by the hash of its plaintext; the caller checks expiry. */
  findByHash(hash: string): Promise<TriggerTokenMatch | undefined>;
  list(projectId: string): Promise<TriggerToken[]>;
  /** Hard-delete one token of the project; false when there is none. */
  revoke(projectId: string, id: string): Promise<boolean>;
  deleteForProject(projectId: string): Promise<number>;
  touch(id: string): Promise<void>;
}

function toToken(r: Selectable<TriggerTokensTable>): TriggerToken {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    prefix: r.prefix,
    // Tokens made before scopes existed open the trigger endpoints only.
    scopes: r.scopes ? (JSON.parse(r.scopes) as TriggerTokenScope[]) : ['trigger'],
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
  };
}

export function triggerTokenRepository({ db, now }: RepoContext): TriggerTokenRepository {
  return {
    async create(projectId, i) {
      const { token, hash, prefix } = mintSecret(TRIGGER_TOKEN_PREFIX);
      const row: Selectable<TriggerTokensTable> = {
        id: randomUUID(),
        project_id: projectId,
        name: i.name,
        prefix,
        token_hash: hash,
        scopes: JSON.stringify(i.scopes ?? ['trigger']),
        created_by: i.createdBy ?? null,
        created_at: now(),
        expires_at: i.expiresAt ?? null,
        last_used_at: null,
      };
      await db.insertInto('trigger_tokens').values(row).execute();
      return { token, record: toToken(row) };
    },

    async findByHash(hash) {
      const r = await db
        .selectFrom('trigger_tokens')
        .innerJoin('projects', 'projects.id', 'trigger_tokens.project_id')
        .selectAll('trigger_tokens')
        .select('projects.workspace_id')
        .where('trigger_tokens.token_hash', '=', hash)
        .where('projects.deleted_at', 'is', null)
        .executeTakeFirst();
      if (!r) return undefined;
      const { workspace_id, ...t } = r;
      return { ...toToken(t), tokenHash: t.token_hash, workspaceId: workspace_id };
    },

    async list(projectId) {
      const rows = await db
        .selectFrom('trigger_tokens')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toToken);
    },

    async revoke(projectId, id) {
      const r = await db
        .deleteFrom('trigger_tokens')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async deleteForProject(projectId) {
      const r = await db
        .deleteFrom('trigger_tokens')
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async touch(id) {
      await db
        .updateTable('trigger_tokens')
        .set({ last_used_at: now() })
        .where('id', '=', id)
        .execute();
    },
  };
}
