import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { parallelWorkersSchema } from '../../domain/project.ts';
import { runStatuses, type Run } from '../../domain/run.ts';
import { runOptionsInputShape } from '../../domain/run-options.ts';
import type { Store } from '../../store/connect.ts';
import type { RouteOptions } from '../app.ts';
import { pageOf, pageQuery, runDto, runPath, toRunDto } from '../dto.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { runEventsSchema, streamRunEvents } from '../run-event-stream.ts';
import { baseUrlSchema } from './projects.ts';
import { strategyFields, strategyOf } from '../selection-fields.ts';
import { emulationFields, emulationOptionsOf } from '../emulation-fields.ts';
import { healingFields, healingOptionsOf } from '../healing-fields.ts';
import { retryFields, retryOptionsOf } from '../retry-fields.ts';
import { artifactFields, artifactOptionsOf } from '../artifact-fields.ts';
import { artifactUrlsOf } from '../artifact-urls.ts';
import { resultsPage, resultsPageDto, resultsPageQuery } from '../results-page.ts';
import { defined } from '../../domain/defined.ts';

const tags = ['runs'];
const listParams = z.object({ id: projectIdParam });
const itemParams = z.object({ id: projectIdParam, runId: z.string().min(1).max(200) });
const names = z.array(z.string().min(1).max(200)).min(1).max(200);

const createBody = z.strictObject({
  suites: names.optional().describe('Run tests of any of these suites'),
  tags: names.optional().describe('Run tests with any of these tags'),
  testIds: z.array(z.string().min(1).max(200)).min(1).max(5000).optional(),
  baseUrl: baseUrlSchema.optional().describe("Overrides the environment's and project's baseUrl"),
  environment: z.string().min(1).max(63).optional().describe('Environment name'),
  parallelWorkers: parallelWorkersSchema.optional(),
  trace: runOptionsInputShape.trace,
  ...strategyFields,
  branch: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .describe('Strategy failed: use the last finished run triggered for this git ref'),
  ...emulationFields,
  ...retryFields,
  ...healingFields,
  ...artifactFields,
  dataSet: runOptionsInputShape.dataSet.describe(
    'Data set that tests with `data:` run once per row of, for this run',
  ),
});

const listQuery = z.object({ status: z.enum(runStatuses).optional(), ...pageQuery });

async function requireRun(store: Store, projectId: string, runId: string): Promise<Run> {
  const run = await store.runs.get(projectId, runId);
  if (!run) throw notFound('run');
  return run;
}

/** Runs of a project: start, list, read, results, cancel, and a live event stream. */
export const runRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, streams }) => {
  const { store, engine, runStream } = deps;

  app.post(
    '/runs',
    {
      config: { rateLimit: 'expensive' },
      schema: {
        tags,
        summary: "Start a run of the project's approved tests (answers at once; poll or stream)",
        params: listParams,
        body: createBody,
        response: { 202: runDto, ...errorResponses(400, 404) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const b = req.body;
      const run = await engine.createRun(project.id, {
        selection: { suites: b.suites, tags: b.tags, testIds: b.testIds },
        trigger: { source: 'api' },
        baseUrl: b.baseUrl,
        environment: b.environment,
        parallelWorkers: b.parallelWorkers,
        strategy: strategyOf(b, b.branch),
        options: {
          ...emulationOptionsOf(b),
          ...retryOptionsOf(b),
          ...healingOptionsOf(b),
          ...artifactOptionsOf(b),
          ...defined({ trace: b.trace, dataSet: b.dataSet }),
        },
      });
      reply.header('location', runPath(project.id, run.id));
      return reply.code(202).send(toRunDto(run));
    },
  );

  app.get(
    '/runs',
    {
      schema: {
        tags,
        summary: 'List runs, newest first',
        params: listParams,
        querystring: listQuery,
        response: { 200: pageOf(runDto), ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.runs.list(projectOf(req).id, q);
      return {
        items: page.items.map(toRunDto),
        total: page.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  app.get(
    '/runs/:runId',
    {
      schema: {
        tags,
        summary: 'Get a run with its counts and verdict',
        params: itemParams,
        response: {
          200: runDto.extend({ phase: phaseDto, crawl: runCrawlDto }),
          ...errorResponses(404),
        },
      },
    },
    async (req) => {
      const run = await requireRun(store, projectOf(req).id, req.params.runId);
      return { ...toRunDto(run), ...(await phaseOf(store, run)) };
    },
  );

  app.get(
    '/runs/:runId/results',
    {
      schema: {
        tags,
        summary: 'Results of the tests of a run so far, a page at a time',
        params: itemParams,
        querystring: resultsPageQuery,
        response: { 200: resultsPageDto, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const run = await requireRun(store, projectOf(req).id, req.params.runId);
      return resultsPage(store, run, req.query, artifactUrlsOf(req, deps, run));
    },
  );

  app.post(
    '/runs/:runId/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a run (a finished run is returned unchanged)',
        params: itemParams,
        response: { 200: runDto, ...errorResponses(404) },
      },
    },
    async (req) => toRunDto(await engine.cancelRun(projectOf(req).id, req.params.runId)),
  );

  // The same stream as GET /runs/:runId/events (one handler), for the project's users.
  app.get(
    '/runs/:runId/events',
    { schema: runEventsSchema(itemParams, [404]) },
    async (req, reply) => {
      const run = await requireRun(store, projectOf(req).id, req.params.runId);
      return streamRunEvents(req, reply, run, req.query.lastEventId, { runStream, streams });
    },
  );
};
