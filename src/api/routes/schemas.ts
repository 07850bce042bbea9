import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { testJsonSchema } from '../../domain/test-definition.ts';
import type { RouteOptions } from '../app.ts';

/** GET /schemas/test.json: the published JSON Schema of a test document (for editors and CI linting). */
export const schemaRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app) => {
  const schema = testJsonSchema();
  app.get(
    '/schemas/test.json',
    {
      schema: {
        tags: ['system'],
        summary: 'JSON Schema of a test document',
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async (_req, reply) => reply.type('application/schema+json').send(schema),
  );
};
