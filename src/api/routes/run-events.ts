import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteOptions } from '../app.ts';
import { authorizedRun } from '../run-access.ts';
import { runDto, toRunDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { artifactUrlsOf } from '../artifact-urls.ts';
import { resultsPage, resultsPageDto, resultsPageQuery } from '../results-page.ts';
import { runPageUrlOf } from '../trigger-http.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import { ciRunDto, toCiRunDto } from '../ci-run-dto.ts';
import { runEventsSchema, streamRunEvents } from '../run-event-stream.ts';

const tags = ['runs'];
const params = z.object({ runId: z.string().min(1).max(200) });
const abortBody = z
  .object({ reason: z.string().max(500).optional().describe('Stored as the run error') })
  .nullish();

/**
 * Runs addressed by id alone (seed 001): the live event stream with resume, abort, and reads
 * that a pipeline holding only a trigger token needs (status and results).
 */
export const runEventRoutes: FastifyPluginAsyncZod<RouteOptions> = async (
  app,
  { deps, streams },
) => {
  const { store, engine, runStream } = deps;

  app.get(
    '/runs/:runId',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'A run in CI shape (status running → completed | failed | aborted)',
        params,
        response: {
          200: ciRunDto.extend({ run: runDto, phase: phaseDto, crawl: runCrawlDto }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => {
      const { run } = await authorizedRun(req, store, req.params.runId, 'read');
      return {
        ...toCiRunDto(run, runPageUrlOf(req, deps, run)),
        run: toRunDto(run),
        ...(await phaseOf(store, run)),
      };
    },
  );

  app.get(
    '/runs/:runId/results',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Results of the tests of a run so far, a page at a time',
        params,
        querystring: resultsPageQuery,
        response: { 200: resultsPageDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { run } = await authorizedRun(req, store, req.params.runId, 'read');
      return resultsPage(store, run, req.query, artifactUrlsOf(req, deps, run));
    },
  );

  app.post(
    '/runs/:runId/abort',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Abort a run: running tests stop, the run ends aborted (cancelled)',
        description:
          'Editor or admin of the workspace, an API key with runs:cancel, or a trigger token of ' +
          "the run's project. A finished run is returned unchanged. Callbacks fire as on any end.",
        params,
        body: abortBody,
        response: { 200: ciRunDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { run } = await authorizedRun(req, store, req.params.runId, 'cancel');
      const reason = req.body?.reason;
      const after = await engine.cancelRun(run.projectId, run.id, reason ? { reason } : {});
      return toCiRunDto(after, runPageUrlOf(req, deps, after));
    },
  );

  app.get(
    '/runs/:runId/events',
    { config: { auth: 'trigger' }, schema: runEventsSchema(params, [401, 403, 404]) },
    async (req, reply) => {
      const { run } = await authorizedRun(req, store, req.params.runId, 'read');
      return streamRunEvents(req, reply, run, req.query.lastEventId, { runStream, streams });
    },
  );
};
