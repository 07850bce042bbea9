import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseTestSources, storeParsedTests } from '../../engine/import-tests.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['tests'];

const importBody = z.strictObject({
  files: z
    .array(
      z.strictObject({
        name: z
          .string()
          .min(1)
          .max(300)
          .describe('File name, e.g. checkout/cart.yaml: part of the key of tests without one'),
        content: z.string().describe('The file as written: YAML (several --- documents) or JSON'),
      }),
    )
    .min(1)
    .max(200),
  status: z
    .enum(['draft', 'approved'])
    .optional()
    .describe('Status of tests whose document names none (default draft)'),
});

const importDto = z
  .object({
    files: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .meta({ id: 'ImportSummary' });

/** Import test files (as `greenlight import` does): all validated first, then one transaction. */
export const testImportRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.post(
    '/tests/import',
    {
      schema: {
        tags,
        summary: 'Import YAML/JSON test files; nothing is written when one is invalid',
        params: z.object({ id: projectIdParam }),
        body: importBody,
        response: { 200: importDto, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => {
      const parsed = parseTestSources(
        req.body.files.map((f) => ({ file: f.name, text: f.content })),
      );
      return storeParsedTests(deps.store, projectOf(req).id, parsed, {
        source: 'import',
        ...(req.body.status ? { defaultStatus: req.body.status } : {}),
      });
    },
  );
};
