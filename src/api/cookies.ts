import { createHmac } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply } from 'fastify';

/** The session cookie (HttpOnly): an opaque random id whose SHA-256 is the session's key. */
export const SESSION_COOKIE = 'access_token';
/** The CSRF cookie (readable by scripts): its value must come back in X-CSRF-Token. */
export const CSRF_COOKIE = '_csrf';

/** Parse a Cookie header (jshttp's `cookie`, as Fastify's plugin uses); never an error. */
export function readCookies(header: string | undefined): Record<string, string> {
  if (!header) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseCookie(header))) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** One Set-Cookie value (Path `/` unless given; SameSite=Lax so a top-level sign-in redirect carries it). */
export function cookie(
  name: string,
  value: string,
  o: { httpOnly: boolean; secure: boolean; maxAgeSeconds: number; path?: string },
): string {
  return stringifySetCookie({
    name,
    value,
    path: o.path ?? '/',
    sameSite: 'lax',
    maxAge: o.maxAgeSeconds,
    ...(o.maxAgeSeconds === 0 ? { expires: new Date(0) } : {}),
    httpOnly: o.httpOnly,
    secure: o.secure,
  });
}

/** Set the session and CSRF cookies of a new session. */
export function setSessionCookies(
  reply: FastifyReply,
  o: { session: string; csrf: string; maxAgeSeconds: number; secure: boolean },
): void {
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, o.session, { httpOnly: true, ...o }),
    cookie(CSRF_COOKIE, o.csrf, { httpOnly: false, ...o }),
  ]);
}

/** Expire both cookies (sign-out). */
export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, '', { httpOnly: true, secure, maxAgeSeconds: 0 }),
    cookie(CSRF_COOKIE, '', { httpOnly: false, secure, maxAgeSeconds: 0 }),
  ]);
}

/**
 * The CSRF token of a session: an HMAC keyed by the session's own secret, so it is valid for
 * that session only (a token read or planted from another session is refused) and needs no
 * storage. The session secret travels only in the HttpOnly cookie; the server keeps its hash.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('greenlight csrf v1').digest('base64url');
}
