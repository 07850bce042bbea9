import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { parallelWorkersSchema } from '../../domain/project.ts';
import type { Run } from '../../domain/run.ts';
import type { RouteOptions } from '../app.ts';
import { runDto, runPath, toRunDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { runPageUrlOf, statusUrlOf } from '../trigger-http.ts';

const tags = ['runs', 'sentri'];

/**
 * Sentri's dials travel with every run request; only the worker count applies to a run here (the
 * rest steer Sentri's AI generation), so other keys are accepted and ignored, not refused.
 */
const sentriRunBody = z
  .strictObject({
    dialsConfig: z
      .looseObject({
        parallelWorkers: parallelWorkersSchema.optional(),
      })
      .optional()
      .describe('Sentri dials; `parallelWorkers` sets the browser contexts of this run'),
  })
  .nullish()
  .meta({ id: 'SentriRun' });

const sentriRunAck = runDto
  .extend({
    runId: z.string().describe("Sentri's field: the run's id"),
    statusUrl: z.string().describe('Absolute URL of the CI status of the run'),
    url: z.string().describe("The run's page in the dashboard"),
  })
  .meta({ id: 'SentriRunAck' });

const projectParams = z.object({ id: projectIdParam });
const testParams = z.object({ id: projectIdParam, testId: z.string().min(1).max(200) });

/**
 * Sentri's "run" buttons (seed 001): `POST /projects/:id/run` runs every approved test and
 * `POST /projects/:id/tests/:testId/run` one test. A draft test is refused with 400 no_tests, as
 * any gated run: only approved tests run.
 */
export const sentriRunRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { engine, store } = deps;
  const ack = (req: Parameters<typeof statusUrlOf>[0], run: Run): z.input<typeof sentriRunAck> => ({
    ...toRunDto(run),
    runId: run.id,
    statusUrl: statusUrlOf(req, deps, run),
    url: runPageUrlOf(req, deps, run),
  });

  app.post(
    '/run',
    {
      config: { scope: 'runs:trigger' },
      schema: {
        tags,
        summary: "Run all the project's approved tests (Sentri shape): 202 { runId, … }",
        params: projectParams,
        body: sentriRunBody,
        response: { 202: sentriRunAck, ...errorResponses(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const run = await engine.createRun(project.id, {
        selection: {},
        trigger: { source: 'api' },
        parallelWorkers: req.body?.dialsConfig?.parallelWorkers,
      });
      reply.header('location', runPath(project.id, run.id));
      return reply.code(202).send(ack(req, run));
    },
  );

  app.post(
    '/tests/:testId/run',
    {
      config: { scope: 'runs:trigger', rateLimit: 'expensive' },
      schema: {
        tags,
        summary: 'Run one approved test (Sentri shape): 202 { runId, … }',
        params: testParams,
        body: sentriRunBody,
        response: { 202: sentriRunAck, ...errorResponses(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const test = await store.tests.get(project.id, req.params.testId);
      if (!test) throw notFound('test');
      const run = await engine.createRun(project.id, {
        selection: { testIds: [test.id] },
        trigger: { source: 'api' },
        parallelWorkers: req.body?.dialsConfig?.parallelWorkers,
      });
      reply.header('location', runPath(project.id, run.id));
      return reply.code(202).send(ack(req, run));
    },
  );
};
