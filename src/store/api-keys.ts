import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Role, Scope } from '../domain/principal.ts';
import type { ApiKeysTable } from './database.ts';
import { mintSecret } from './secrets.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

/** Personal API keys start with this, so a leaked one is recognisable (and scannable). */
export const API_KEY_PREFIX = 'glk_';

/** A personal API key as listed: never the secret, only its first characters. */
export interface ApiKey {
  id: string;
  userId: string;
  workspaceId: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A key found by its hash, with its owner's e-mail and current role in the key's workspace. */
export interface ApiKeyMatch extends ApiKey {
  tokenHash: string;
  email: string;
  role: Role | null;
}

export interface ApiKeyRepository {
  create(i: {
    userId: string;
    workspaceId: string;
    name: string;
    scopes: Scope[];
    expiresAt?: string | null;
  }): Promise<{ token: string; record: ApiKey }>;
  /** A key by hash whatever its state; the caller checks revoked and expired. */
  findByHash(hash: string): Promise<ApiKeyMatch | undefined>;
  listForUser(userId: string): Promise<ApiKey[]>;
  /** Revoke the user's key; false when there is no such key of theirs. */
  revoke(userId: string, id: string): Promise<boolean>;
  touch(id: string): Promise<void>;
}

function toApiKey(r: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: r.id,
    userId: r.user_id,
    workspaceId: r.workspace_id,
    name: r.name,
    prefix: r.prefix,
    scopes: fromJson<Scope[]>(r.scopes, 'api_keys.scopes'),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export function apiKeyRepository({ db, now }: RepoContext): ApiKeyRepository {
  return {
    async create(i) {
      const { token, hash, prefix } = mintSecret(API_KEY_PREFIX);
      const row: Selectable<ApiKeysTable> = {
        id: randomUUID(),
        user_id: i.userId,
        workspace_id: i.workspaceId,
        name: i.name,
        prefix,
        token_hash: hash,
        scopes: toJson(i.scopes),
        created_at: now(),
        expires_at: i.expiresAt ?? null,
        last_used_at: null,
        revoked_at: null,
      };
      await db.insertInto('api_keys').values(row).execute();
      return { token, record: toApiKey(row) };
    },

    async findByHash(hash) {
      const r = await db
        .selectFrom('api_keys')
        .innerJoin('users', 'users.id', 'api_keys.user_id')
        .leftJoin('memberships', (j) =>
          j
            .onRef('memberships.user_id', '=', 'api_keys.user_id')
            .onRef('memberships.workspace_id', '=', 'api_keys.workspace_id'),
        )
        .selectAll('api_keys')
        .select(['users.email', 'memberships.role'])
        .where('api_keys.token_hash', '=', hash)
        .executeTakeFirst();
      if (!r) return undefined;
      const { email, role, ...key } = r;
      return {
        ...toApiKey(key),
        tokenHash: key.token_hash,
        email,
        role: (role as Role | null) ?? null,
      };
    },

    async listForUser(userId) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toApiKey);
    },

    async revoke(userId, id) {
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: now() })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async touch(id) {
      await db.updateTable('api_keys').set({ last_used_at: now() }).where('id', '=', id).execute();
    },
  };
}
