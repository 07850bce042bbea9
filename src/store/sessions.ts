import { randomUUID } from 'node:crypto';
import type { Role } from '../domain/principal.ts';
import { mintSecret } from './secrets.ts';
import type { RepoContext } from './sql-helpers.ts';

/** A live browser session with its user and the user's role in the session's workspace. */
export interface SessionRecord {
  id: string;
  tokenHash: string;
  userId: string;
  email: string;
  workspaceId: string;
  /** Null when the user has since left the workspace. */
  role: Role | null;
  expiresAt: string;
}

/** Browser sessions: the cookie holds a random id, the table only its SHA-256. */
export interface SessionRepository {
  /** Open a session; returns the cookie value (shown to the browser only). */
  create(i: { userId: string; workspaceId: string; ttlMs: number }): Promise<{
    token: string;
    record: SessionRecord;
  }>;
  /** A session by the hash of its cookie value, unless expired. */
  findByHash(hash: string): Promise<SessionRecord | undefined>;
  delete(id: string): Promise<void>;
  /** End every session of the user except `keepId` (after a password change). */
  deleteForUser(userId: string, keepId?: string): Promise<void>;
}

export function sessionRepository({ db, now }: RepoContext): SessionRepository {
  return {
    async create({ userId, workspaceId, ttlMs }) {
      const { token, hash } = mintSecret('');
      const at = now();
      const expiresAt = new Date(Date.parse(at) + ttlMs).toISOString();
      const id = randomUUID();
      // Expired sessions of this user are swept here, so the table does not grow without end.
      await db
        .deleteFrom('sessions')
        .where('user_id', '=', userId)
        .where('expires_at', '<=', at)
        .execute();
      await db
        .insertInto('sessions')
        .values({
          id,
          token_hash: hash,
          user_id: userId,
          workspace_id: workspaceId,
          created_at: at,
          expires_at: expiresAt,
        })
        .execute();
      const email =
        (await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())
          ?.email ?? '';
      return {
        token,
        record: { id, tokenHash: hash, userId, email, workspaceId, role: null, expiresAt },
      };
    },

    async findByHash(hash) {
      const r = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .leftJoin('memberships', (j) =>
          j
            .onRef('memberships.user_id', '=', 'sessions.user_id')
            .onRef('memberships.workspace_id', '=', 'sessions.workspace_id'),
        )
        .select([
          'sessions.id',
          'sessions.token_hash',
          'sessions.user_id',
          'sessions.workspace_id',
          'sessions.expires_at',
          'users.email',
          'memberships.role',
        ])
        .where('sessions.token_hash', '=', hash)
        .where('sessions.expires_at', '>', now())
        .executeTakeFirst();
      if (!r) return undefined;
      return {
        id: r.id,
        tokenHash: r.token_hash,
        userId: r.user_id,
        email: r.email,
        workspaceId: r.workspace_id,
        role: (r.role as Role | null) ?? null,
        expiresAt: r.expires_at,
      };
    },

    async delete(id) {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
    },

    async deleteForUser(userId, keepId) {
      let q = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (keepId !== undefined) q = q.where('id', '!=', keepId);
      await q.execute();
    },
  };
}
