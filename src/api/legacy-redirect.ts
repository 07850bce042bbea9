import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_PREFIX } from './dto.ts';

/** Paths under /api that are not legacy: the versioned API and Certyn's CI runs API. */
const current = [`${API_PREFIX}/`, '/api/ci/'];

/** `/api/projects?x=1` → `/api/v1/projects?x=1`; null when the path is not a legacy one. */
function legacyTarget(url: string): string | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith('/api/') || path === API_PREFIX) return null;
  if (current.some((p) => path.startsWith(p)) || path === '/api/ci') return null;
  return `${API_PREFIX}${path.slice('/api'.length)}${q === -1 ? '' : url.slice(q)}`;
}

/**
 * Legacy unversioned `/api/*` paths answer 308 to `/api/v1/*` (seed 001): 308, not 301, so a
 * POST stays a POST with its body, and the query string is kept. The redirect happens before
 * the body is read or any credential is checked: it says where to go, nothing more.
 */
export function registerLegacyRedirect(app: FastifyInstance): void {
  const redirect = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const target = legacyTarget(req.url);
    if (target === null) {
      reply
        .code(404)
        .send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, code: 'not_found' });
      return;
    }
    reply.code(308).header('location', target).send();
  };
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/api/*',
    // Public: the redirect reveals nothing, and the target checks credentials itself.
    config: { auth: 'public' },
    schema: { hide: true },
    onRequest: redirect,
    handler: async (_req, reply) => reply,
  });
}
