import { timingSafeEqual } from 'node:crypto';
import type { Principal } from '../domain/principal.ts';
import { API_KEY_PREFIX } from '../store/api-keys.ts';
import type { Store } from '../store/connect.ts';
import { hashSecret } from '../store/secrets.ts';
import { TRIGGER_TOKEN_PREFIX } from '../store/trigger-tokens.ts';

/** How long a browser session lives (absolute, from sign-in). */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** `last used` is written at most this often per credential: one write a minute, not per request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * AegisRunner's docs put `aegis_` in front of the token (`Bearer aegis_<token>`); their
 * pipelines keep that literal prefix, so it is dropped before the lookup. Any other value is
 * looked up as it is.
 */
const COMPAT_PREFIX = 'aegis_';

/** Why a presented credential was refused, for the 401 message; never the secret. */
export type CredentialFailure = 'invalid' | 'expired' | 'revoked' | 'no_workspace';

export type Resolved =
  { ok: true; principal: Principal; sessionId?: string } | { ok: false; reason: CredentialFailure };

/** Compare two hex hashes in constant time (defence in depth after the indexed lookup). */
function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const isPast = (iso: string | null, nowMs: number): boolean =>
  iso !== null && Date.parse(iso) <= nowMs;

const stale = (iso: string | null, nowMs: number): boolean =>
  iso === null || nowMs - Date.parse(iso) >= TOUCH_EVERY_MS;

/** Normalise a presented token: trim, drop the AegisRunner prefix. */
function normalizePresented(value: string): string {
  const v = value.trim();
  return v.startsWith(COMPAT_PREFIX) ? v.slice(COMPAT_PREFIX.length) : v;
}

/**
 * Resolve a Bearer / X-API-Key value: a personal API key (`glk_…`), a project trigger token
 * (`glt_…`) or a browser session's token. All are found by the SHA-256 of the value.
 */
export async function resolveToken(
  store: Store,
  presented: string,
  nowMs: number = Date.now(),
): Promise<Resolved> {
  const value = normalizePresented(presented);
  if (value.length < 8 || value.length > 512) return { ok: false, reason: 'invalid' };
  const hash = hashSecret(value);

  if (!value.startsWith(API_KEY_PREFIX)) {
    const t = await store.triggerTokens.findByHash(hash);
    if (t && sameHash(t.tokenHash, hash)) {
      if (isPast(t.expiresAt, nowMs)) return { ok: false, reason: 'expired' };
      if (!t.workspaceId) return { ok: false, reason: 'no_workspace' };
      if (stale(t.lastUsedAt, nowMs)) await store.triggerTokens.touch(t.id);
      return {
        ok: true,
        principal: {
          kind: 'trigger',
          tokenId: t.id,
          projectId: t.projectId,
          workspaceId: t.workspaceId,
          scopes: t.scopes,
        },
      };
    }
    if (value.startsWith(TRIGGER_TOKEN_PREFIX)) return { ok: false, reason: 'invalid' };
    // Sentri's fallback for scripts: the session token (the access_token cookie's value) as a
    // Bearer credential. It is CSRF-exempt like a key: a browser never adds this header by itself.
    const session = await resolveSession(store, value);
    if (session.ok) return session;
  }

  const k = await store.apiKeys.findByHash(hash);
  if (!k || !sameHash(k.tokenHash, hash)) return { ok: false, reason: 'invalid' };
  if (k.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (isPast(k.expiresAt, nowMs)) return { ok: false, reason: 'expired' };
  if (k.role === null) return { ok: false, reason: 'no_workspace' };
  if (stale(k.lastUsedAt, nowMs)) await store.apiKeys.touch(k.id);
  return {
    ok: true,
    principal: {
      kind: 'user',
      userId: k.userId,
      email: k.email,
      workspaceId: k.workspaceId,
      role: k.role,
      via: 'api_key',
      scopes: k.scopes,
      credentialId: k.id,
    },
  };
}

/** Resolve the `access_token` cookie of a browser session. */
export async function resolveSession(store: Store, cookieValue: string): Promise<Resolved> {
  if (cookieValue.length < 16 || cookieValue.length > 200) return { ok: false, reason: 'invalid' };
  const hash = hashSecret(cookieValue);
  const s = await store.sessions.findByHash(hash);
  if (!s || !sameHash(s.tokenHash, hash)) return { ok: false, reason: 'invalid' };
  if (s.role === null) return { ok: false, reason: 'no_workspace' };
  return {
    ok: true,
    sessionId: s.id,
    principal: {
      kind: 'user',
      userId: s.userId,
      email: s.email,
      workspaceId: s.workspaceId,
      role: s.role,
      via: 'session',
      scopes: null,
      credentialId: s.id,
    },
  };
}

/** Constant-time equality of two presented strings (the CSRF header and cookie). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
