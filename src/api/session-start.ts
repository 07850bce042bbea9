import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_TTL_MS } from '../auth/credentials.ts';
import type { Config } from '../config.ts';
import type { Store } from '../store/connect.ts';
import { csrfTokenFor, setSessionCookies } from './cookies.ts';

/** Whether cookies must be `Secure`: the request came over https or the public URL is https. */
export const isSecureRequest = (req: FastifyRequest, config: Pick<Config, 'publicUrl'>): boolean =>
  req.protocol === 'https' || (config.publicUrl ?? '').startsWith('https:');

/**
 * Open a browser session for the user in the workspace: a new session row, its HttpOnly cookie
 * and the CSRF cookie bound to it. Returns the CSRF token (password sign-in answers with it).
 */
export async function startSession(
  store: Store,
  config: Pick<Config, 'publicUrl'>,
  req: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  workspaceId: string,
): Promise<string> {
  const { token } = await store.sessions.create({ userId, workspaceId, ttlMs: SESSION_TTL_MS });
  const csrf = csrfTokenFor(token);
  setSessionCookies(reply, {
    session: token,
    csrf,
    maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
    secure: isSecureRequest(req, config),
  });
  return csrf;
}
