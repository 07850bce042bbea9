import { hashSecret } from './secrets.ts';
import type { RepoContext } from './sql-helpers.ts';

/** What a provider sign-in must remember between its start and its callback. */
export interface PendingSsoLogin {
  provider: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  returnTo: string;
}

/** Started provider sign-ins, keyed by the SHA-256 of their `state`; each is used once. */
export interface SsoLoginRepository {
  create(state: string, login: PendingSsoLogin, ttlMs: number): Promise<void>;
  /**
   * Take the sign-in started with this state: returned once when known and unexpired (deleted in
   * the same statement, so a replayed callback finds nothing), else undefined.
   */
  consume(state: string): Promise<PendingSsoLogin | undefined>;
}

export function ssoLoginRepository({ db, now }: RepoContext): SsoLoginRepository {
  return {
    async create(state, login, ttlMs) {
      const at = now();
      // Abandoned sign-ins are swept here: no timer needed, and the table stays small.
      await db.deleteFrom('sso_logins').where('expires_at', '<=', at).execute();
      await db
        .insertInto('sso_logins')
        .values({
          state_hash: hashSecret(state),
          provider: login.provider,
          code_verifier: login.codeVerifier,
          nonce: login.nonce,
          redirect_uri: login.redirectUri,
          return_to: login.returnTo,
          created_at: at,
          expires_at: new Date(Date.parse(at) + ttlMs).toISOString(),
        })
        .execute();
    },

    async consume(state) {
      if (state.length < 16 || state.length > 200) return undefined;
      const r = await db
        .deleteFrom('sso_logins')
        .where('state_hash', '=', hashSecret(state))
        .returningAll()
        .executeTakeFirst();
      if (!r || r.expires_at <= now()) return undefined;
      return {
        provider: r.provider,
        codeVerifier: r.code_verifier,
        nonce: r.nonce,
        redirectUri: r.redirect_uri,
        returnTo: r.return_to,
      };
    },
  };
}
