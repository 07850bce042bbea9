import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { planRunShards, shardCountSchema } from '../../engine/shard-plan.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { strategyFields, strategyOf } from '../selection-fields.ts';

const names = z.array(z.string().min(1).max(200)).min(1).max(200);

const planBody = z.strictObject({
  shards: shardCountSchema.describe('How many machines share the run'),
  suites: names.optional(),
  tags: names.optional(),
  testIds: z.array(z.string().min(1).max(200)).min(1).max(5000).optional(),
  ...strategyFields,
  branch: z.string().min(1).max(300).optional().describe('Strategy failed: this git ref'),
});

const planDto = z
  .object({
    shards: z.array(
      z.object({
        index: z.number().int().describe('0-based'),
        testIds: z.array(z.string()),
        estimatedMs: z.number().int(),
      }),
    ),
    totalMs: z.number().int(),
    unknown: z.array(z.string()).describe('Tests without history (estimated as the median)'),
    selectionDetail: z
      .object({
        strategy: z.string(),
        inputs: z.record(z.string(), z.unknown()),
        reasons: z.record(z.string(), z.string()),
      })
      .nullable(),
  })
  .meta({ id: 'ShardPlan' });

/**
 * `POST /projects/:id/plan`: split the selected tests into shards of about equal expected time,
 * so workers on several machines can each run one (`greenlight run --test …` per shard).
 */
export const planRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.post(
    '/plan',
    {
      config: { auth: 'trigger' },
      schema: {
        tags: ['runs'],
        summary: 'Plan shards balanced by past durations (median of the last 10)',
        params: z.object({ id: projectIdParam }),
        body: planBody,
        response: { 200: planDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const b = req.body;
      const plan = await planRunShards(deps.store, projectOf(req).id, {
        selection: { suites: b.suites, tags: b.tags, testIds: b.testIds },
        strategy: strategyOf(b, b.branch),
        shards: b.shards,
        now: new Date(),
      });
      return { ...plan, selectionDetail: plan.selectionDetail ?? null };
    },
  );
};
