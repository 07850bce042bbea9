import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import pkg from '../../../package.json' with { type: 'json' };
import type { RouteOptions } from '../app.ts';

const healthDto = z.object({
  status: z.literal('ok'),
  version: z.string(),
  database: z.enum(['sqlite', 'postgres']),
  uptimeSeconds: z.number().int(),
});

/** GET /health: liveness for load balancers and `greenlight` clients checking the version. */
export const healthRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const startedAt = Date.now();
  const database = deps.store.dialect;
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Server health and version',
        response: { 200: healthDto },
      },
    },
    async () => ({
      status: 'ok' as const,
      version: pkg.version,
      database,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
    }),
  );
};
