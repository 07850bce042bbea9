import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { parallelWorkersSchema } from '../../domain/project.ts';
import { isTerminal, runStatuses, type Run } from '../../domain/run.ts';
import { runOptionsInputShape } from '../../domain/run-options.ts';
import type { RunEvent } from '../../events/event-bus.ts';
import type { Store } from '../../store/connect.ts';
import type { RouteOptions } from '../app.ts';
import { pageOf, pageQuery, runDto, runPath, toRunDto, toTestResultDto } from '../dto.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import type { SseStream } from '../sse.ts';
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

/** The event that closes a stream, built from the stored run when it finished before we looked. */
function finishedEvent(run: Run): RunEvent {
  return {
    type: 'run.finished',
    runId: run.id,
    projectId: run.projectId,
    at: run.finishedAt ?? run.createdAt,
    status: run.status,
    error: run.error,
    counts: {
      total: run.total,
      passed: run.passed,
      failed: run.failed,
      skipped: run.skipped,
      errored: run.errored,
      flaky: run.flaky,
      quarantined: run.quarantined,
    },
  };
}

/** Runs of a project: start, list, read, results, cancel, and a live event stream. */
export const runRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, streams }) => {
  const { store, engine, events } = deps;

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

  app.get(
    '/runs/:runId/events',
    {
      schema: {
        tags,
        summary: 'Live events of a run (Server-Sent Events)',
        description:
          'text/event-stream. First `run.state` with the run and its results so far, then ' +
          '`test.started`, `test.finished` and finally `run.finished`, after which the stream ' +
          'ends. A `: heartbeat` comment is sent every 15 s.',
        params: itemParams,
        response: {
          200: {
            description: 'An event stream (`event:` name, `data:` one line of JSON)',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...errorResponses(404),
        },
      },
    },
    async (req, reply) => {
      const run = await requireRun(store, projectOf(req).id, req.params.runId);
      const stream = streams.open(reply);
      // Subscribe before reading the state, so nothing published in between is lost.
      const buffered: RunEvent[] = [];
      let live = false;
      const forward = (e: RunEvent): void => {
        stream.send(e.type, e);
        if (e.type === 'run.finished') stream.close();
      };
      const unsubscribe = events.subscribe(run.id, (e) => (live ? forward(e) : buffered.push(e)));
      stream.onClose(unsubscribe);
      try {
        await sendState(store, stream, run.projectId, run.id);
      } catch (err) {
        req.log.error({ err, runId: run.id }, 'reading run state for SSE failed');
        stream.close();
        return;
      }
      if (stream.closed) return;
      live = true;
      for (const e of buffered.splice(0)) forward(e);
    },
  );
};

/** The `run.state` event; for a run already finished also `run.finished`, then the stream ends. */
async function sendState(
  store: Store,
  stream: SseStream,
  projectId: string,
  runId: string,
): Promise<void> {
  const [run, results] = await Promise.all([
    requireRun(store, projectId, runId),
    store.results.listByRun(runId, projectId),
  ]);
  const items = results.map((r) => toTestResultDto(r));
  stream.send('run.state', { run: toRunDto(run), results: items });
  if (isTerminal(run.status)) {
    stream.send('run.finished', finishedEvent(run));
    stream.close();
  }
}
