import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['tests'];
const params = z.object({ id: projectIdParam, suite: z.string().min(1).max(200) });

const suiteDto = z
  .object({
    suite: z.string(),
    covers: z.array(z.string()).describe('Globs of repo/URL paths every test of the suite covers'),
    updatedAt: z.string(),
  })
  .meta({ id: 'SuiteSettings' });

const putBody = z.strictObject({
  covers: z
    .array(z.string().min(1).max(500))
    .max(100)
    .describe('Globs (picomatch) of repository paths (src/cart/**) or URL paths (/cart/*)'),
});

/** Per-suite settings: what the suite covers, for the `changed` selection strategy. */
export const suiteRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '/suites/:suite',
    {
      schema: {
        tags,
        summary: "A suite's settings (covers globs)",
        params,
        response: { 200: suiteDto, ...errorResponses(404) },
      },
    },
    async (req) => {
      const s = await store.suiteSettings.get(projectOf(req).id, req.params.suite);
      if (!s) throw notFound('suite settings');
      return s;
    },
  );

  app.put(
    '/suites/:suite',
    {
      schema: {
        tags,
        summary: "Set a suite's covers globs (strategy changed runs its tests when one matches)",
        params,
        body: putBody,
        response: { 200: suiteDto, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => {
      const covers = [...new Set(req.body.covers.map((c) => c.trim()).filter((c) => c !== ''))];
      return store.suiteSettings.put(projectOf(req).id, req.params.suite, { covers });
    },
  );
};
