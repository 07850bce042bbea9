import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectTrends } from '../../engine/trends.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const testTrend = z.object({
  testId: z.string(),
  name: z.string(),
  flakyScore: z.number().int().describe('0–100 over the last 20 results'),
  medianMs: z.number().nullable().describe('Median duration of the last passed/failed results'),
  maxMs: z.number().nullable(),
  results: z.number().int().describe('Results the numbers are taken from'),
});

const trendsDto = z
  .object({
    runs: z
      .array(
        z.object({
          runId: z.string(),
          status: z.string(),
          at: z.string().describe('When the run finished'),
          durationMs: z.number().nullable(),
          total: z.number().int(),
          passed: z.number().int(),
          failed: z.number().int().describe('Failed and errored results'),
          flaky: z.number().int(),
          passRate: z
            .number()
            .nullable()
            .describe('passed ÷ (passed + failed + errored), 0–1; null when nothing gated'),
        }),
      )
      .describe('Finished runs (cancelled ones left out), oldest first'),
    flakiest: z.array(testTrend),
    slowest: z.array(testTrend),
  })
  .meta({ id: 'ProjectTrends' });

/** Pass rate and duration over time, flakiest and slowest tests (the dashboard's trends). */
export const trendRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/trends',
    {
      schema: {
        tags: ['runs'],
        summary: 'Pass rate and duration of the last finished runs; flakiest and slowest tests',
        params: z.object({ id: projectIdParam }),
        querystring: z.object({
          runs: z.coerce.number().int().min(1).max(200).default(30),
          top: z.coerce.number().int().min(1).max(50).default(10),
        }),
        response: { 200: trendsDto, ...errorResponses(400, 404) },
      },
    },
    async (req) => projectTrends(deps.store, projectOf(req).id, req.query),
  );
};
