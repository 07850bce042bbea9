import { randomUUID } from 'node:crypto';
import { hashSecret, mintSecret } from './secrets.ts';
import type { RepoContext } from './sql-helpers.ts';

export type AccountTokenPurpose = 'reset' | 'verify';

/** Single-use tokens mailed to a user; the table keeps only their SHA-256. */
export interface AccountTokenRepository {
  /** A new token for the user; earlier unused ones of the same purpose stop working. */
  create(userId: string, purpose: AccountTokenPurpose, ttlMs: number): Promise<string>;
  /**
   * Use a token once: the user id when it is known, unused and unexpired (and it is then marked
   * used in the same statement, so two concurrent uses cannot both succeed), else null.
   */
  consume(presented: string, purpose: AccountTokenPurpose): Promise<string | null>;
  /** Void every unused token of the user (after a password change). */
  voidForUser(userId: string): Promise<void>;
}

export function accountTokenRepository({ db, now }: RepoContext): AccountTokenRepository {
  return {
    async create(userId, purpose, ttlMs) {
      const at = now();
      await db
        .deleteFrom('account_tokens')
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .execute();
      const { token, hash } = mintSecret('');
      await db
        .insertInto('account_tokens')
        .values({
          id: randomUUID(),
          token_hash: hash,
          user_id: userId,
          purpose,
          created_at: at,
          expires_at: new Date(Date.parse(at) + ttlMs).toISOString(),
          used_at: null,
        })
        .execute();
      return token;
    },

    async consume(presented, purpose) {
      if (presented.length < 16 || presented.length > 200) return null;
      const at = now();
      const row = await db
        .updateTable('account_tokens')
        .set({ used_at: at })
        .where('token_hash', '=', hashSecret(presented))
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .returning('user_id')
        .executeTakeFirst();
      return row?.user_id ?? null;
    },

    async voidForUser(userId) {
      await db
        .updateTable('account_tokens')
        .set({ used_at: now() })
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .execute();
    },
  };
}
