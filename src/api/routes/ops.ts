import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sameSecret } from '../../auth/credentials.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import { createMetrics } from '../metrics.ts';
import { readinessChecker } from '../readiness.ts';
import type { ApiDeps, RouteOptions } from '../app.ts';

const check = z.object({ ok: z.boolean(), detail: z.string() });
const readyDto = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ database: check, queue: check, browser: check }),
});

/** GET /api/v1/ready: readiness for orchestrators (database, queue, browser); 503 when not ready. */
export const readyRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const ready = readinessChecker(deps);
  app.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Readiness: database reachable, queue running, a browser available',
        response: { 200: readyDto, 503: readyDto },
      },
    },
    async (_req, reply) => {
      const r = await ready();
      return reply
        .code(r.ready ? 200 : 503)
        .send({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
    },
  );
};

/**
 * GET /metrics: Prometheus text format. Off (404) unless GREENLIGHT_METRICS_TOKEN is set; then the
 * scraper sends it as a Bearer token (compared in constant time). Registered on the root app so
 * the latency hook sees every route.
 */
export function registerMetrics(app: FastifyInstance, deps: ApiDeps): void {
  const token = deps.config.metricsToken;
  // Metrics off: no registry, no latency hook, prom-client never loaded.
  const registry = token ? createMetrics(app, deps) : null;
  app.get(
    '/metrics',
    { config: { auth: 'public' }, schema: { hide: true } },
    async (req, reply) => {
      if (!token || !registry) throw notFound('metrics (set GREENLIGHT_METRICS_TOKEN to enable)');
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!sameSecret(given, token)) {
        throw new AppError('unauthorized', 'GET /metrics needs the metrics Bearer token.');
      }
      return reply.header('content-type', registry.contentType).send(await registry.metrics());
    },
  );
}
