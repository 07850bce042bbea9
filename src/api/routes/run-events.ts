import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ciStatusOf, ciSummaryOf } from '../../domain/ci-status.ts';
import { isTerminal, runStatuses, type Run } from '../../domain/run.ts';
import { SNAPSHOT_RESULTS, type RunSnapshot, type StreamEvent } from '../../engine/run-stream.ts';
import type { RouteOptions } from '../app.ts';
import { authorizedRun } from '../run-access.ts';
import { runDto, toRunDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { artifactUrlsOf } from '../artifact-urls.ts';
import { resultsPage, resultsPageDto, resultsPageQuery } from '../results-page.ts';
import type { SseStream } from '../sse.ts';
import { runPageUrlOf } from '../trigger-http.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import { defined } from '../../domain/defined.ts';

const tags = ['runs'];
const params = z.object({ runId: z.string().min(1).max(200) });
const eventsQuery = z.object({
  lastEventId: z.string().max(40).optional().describe('Same as the Last-Event-ID header'),
});
const abortBody = z
  .object({ reason: z.string().max(500).optional().describe('Stored as the run error') })
  .nullish();

/** A run as pipelines read it: Sentri's status vocabulary plus Greenlight's own detail. */
const ciRunDto = z
  .object({
    runId: z.string(),
    projectId: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'aborted']),
    runStatus: z.enum(runStatuses).describe('Greenlight status (queued, running, passed, …)'),
    passed: z.number().int(),
    failed: z.number().int().describe('Failed plus errored tests'),
    total: z.number().int(),
    skipped: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    url: z.string().optional().describe("The run's page in the dashboard, for people"),
  })
  .meta({ id: 'CiRun' });
export type CiRunDto = z.output<typeof ciRunDto>;

function toCiRunDto(run: Run, url?: string): CiRunDto {
  return {
    ...defined({ url }),
    ...ciSummaryOf(run),
    projectId: run.projectId,
    runStatus: run.status,
    skipped: run.skipped,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

/** `Last-Event-ID` header, else `?lastEventId=`; anything not a number counts as unknown. */
function lastEventIdOf(req: FastifyRequest, query: string | undefined): number | null {
  const header = req.headers['last-event-id'];
  const raw = (typeof header === 'string' ? header : undefined) ?? query;
  if (raw === undefined || !/^\d{1,17}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

const keyOf = (r: { testId: string; attempt: number }): string => `${r.testId}#${r.attempt}`;

function sendEvent(stream: SseStream, runId: string, e: StreamEvent): void {
  switch (e.type) {
    case 'snapshot':
      return sendSnapshot(stream, e.id, e.data);
    case 'done':
      return sendDone(stream, e.id, e.data.run);
    default:
      stream.send(e.type, { runId, ...e.data }, e.id);
  }
}

/**
 * A snapshot is sent on connect and after every result, so it carries nothing that grows with
 * the run: the run without its plan (`testIds`, `selectionDetail`: read them once from
 * GET /runs/:runId), its counts, and the newest results with how many there are in all.
 */
function sendSnapshot(stream: SseStream, id: number, snap: RunSnapshot): void {
  const { run, results, resultsTotal } = snap;
  const { testIds: _plan, selectionDetail: _why, ...counts } = toRunDto(run);
  stream.send(
    'snapshot',
    { runId: run.id, status: ciStatusOf(run.status), run: counts, results, resultsTotal },
    id,
  );
}

function sendDone(stream: SseStream, id: number, run: Run): void {
  stream.send('done', { ...toCiRunDto(run) }, id);
  stream.close();
}

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
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Live events of a run (Server-Sent Events, seed 001)',
        description:
          'text/event-stream. Events: `log` (a line of progress), `result` (one test: testId, ' +
          'testName, status, durationMs, error), `snapshot` (the run with its counts but not its plan, its newest ' +
          `${SNAPSHOT_RESULTS} results and \`resultsTotal\`; sent first, and after each result; ` +
          'page through every result at /runs/:runId/results), `done` (final status in CI shape; the ' +
          'stream then ends). Every event has an `id:`; reconnect with `Last-Event-ID` (or ' +
          '`?lastEventId=`) to get exactly the events missed, or a snapshot when they are no ' +
          'longer kept. A `: heartbeat` comment is sent every 15 s. 204 when the run is over ' +
          'and the client has seen its end.',
        params,
        querystring: eventsQuery,
        response: {
          200: {
            description: 'An event stream (`id:`, `event:` name, `data:` one line of JSON)',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          204: z.null().describe('Nothing more will happen in this run'),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const { run } = await authorizedRun(req, store, req.params.runId, 'read');
      const afterId = lastEventIdOf(req, req.query.lastEventId);
      const terminal = isTerminal(run.status);
      // A finished run's last events may still be on their way into the log.
      if (terminal) await runStream.drain(run.id);

      let live = false;
      let skip: Set<string> | null = null;
      const pending: StreamEvent[] = [];
      let stream: SseStream | null = null;
      const forward = (e: StreamEvent): void => {
        if (!stream) return;
        if (e.type === 'result' && skip?.has(keyOf(e.data))) return;
        sendEvent(stream, run.id, e);
      };
      const att = await runStream.attach(run.id, afterId, (e) =>
        live ? forward(e) : pending.push(e),
      );

      if (att.backlog !== null && att.backlog.length === 0 && terminal) {
        // The client has everything; 204 also stops an EventSource from reconnecting.
        att.detach();
        return reply.code(204).send(null);
      }
      stream = streams.open(reply);
      stream.onClose(att.detach);

      if (att.backlog !== null) {
        for (const e of att.backlog) forward(e);
        if (terminal && !stream.closed) sendDone(stream, att.lastId, run);
      } else {
        let snap;
        try {
          snap = await runStream.snapshotFromStore(run);
        } catch (err) {
          req.log.error({ err, runId: run.id }, 'reading run state for SSE failed');
          stream.close();
          return;
        }
        if (stream.closed) return;
        skip = new Set(snap.results.map(keyOf));
        sendSnapshot(stream, att.lastId, snap);
        if (isTerminal(snap.run.status) && !pending.some((e) => e.type === 'done')) {
          sendDone(stream, att.lastId, snap.run);
          return;
        }
      }
      live = true;
      for (const e of pending.splice(0)) forward(e);
    },
  );
};
