import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { isUniqueViolation, type RepoContext } from './sql-helpers.ts';

/** A provider account linked to a user. */
export interface UserIdentity {
  id: string;
  userId: string;
  provider: string;
  subject: string;
  email: string | null;
  createdAt: string;
  lastSignInAt: string | null;
}

/** Which outside accounts (OpenID Connect subjects, GitHub ids) sign in as which user. */
export interface UserIdentityRepository {
  find(provider: string, subject: string): Promise<UserIdentity | undefined>;
  /** Link a provider account to a user; conflict when that account is linked already. */
  link(i: {
    userId: string;
    provider: string;
    subject: string;
    email: string | null;
  }): Promise<UserIdentity>;
  /** Record a sign-in and the address the provider gave this time. */
  touch(id: string, email: string | null): Promise<void>;
  listForUser(userId: string): Promise<UserIdentity[]>;
}

export function userIdentityRepository({ db, now }: RepoContext): UserIdentityRepository {
  return {
    async find(provider, subject) {
      const r = await db
        .selectFrom('user_identities')
        .selectAll()
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          userId: r.user_id,
          provider: r.provider,
          subject: r.subject,
          email: r.email,
          createdAt: r.created_at,
          lastSignInAt: r.last_sign_in_at,
        }
      );
    },

    async link(i) {
      const at = now();
      const row = {
        id: randomUUID(),
        user_id: i.userId,
        provider: i.provider,
        subject: i.subject,
        email: i.email,
        created_at: at,
        last_sign_in_at: at,
      };
      try {
        await db.insertInto('user_identities').values(row).execute();
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new AppError('conflict', 'this provider account is linked to a user already');
        }
        throw e;
      }
      return { ...i, id: row.id, createdAt: at, lastSignInAt: at };
    },

    async touch(id, email) {
      await db
        .updateTable('user_identities')
        .set({ last_sign_in_at: now(), email })
        .where('id', '=', id)
        .execute();
    },

    async listForUser(userId) {
      const rows = await db
        .selectFrom('user_identities')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        userId: r.user_id,
        provider: r.provider,
        subject: r.subject,
        email: r.email,
        createdAt: r.created_at,
        lastSignInAt: r.last_sign_in_at,
      }));
    },
  };
}
