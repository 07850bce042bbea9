import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ciStatusOf } from '../domain/ci-status.ts';
import { isTerminal, type Run } from '../domain/run.ts';
import {
  SNAPSHOT_RESULTS,
  type RunSnapshot,
  type RunStream,
  type StreamEvent,
} from '../engine/run-stream.ts';
import { toCiRunDto } from './ci-run-dto.ts';
import { toRunDto } from './dto.ts';
import { errorResponses } from './errors.ts';
import type { SseStream, SseStreams } from './sse.ts';

// A run's live events (seed 001), one protocol for every client: `GET /runs/:runId/events` for
// pipelines holding a trigger token and `GET /projects/:id/runs/:runId/events` for the project's
// users are two mounts of this one handler over the same RunStream log.

const eventsQuery = z.object({
  lastEventId: z.string().max(40).optional().describe('Same as the Last-Event-ID header'),
});

const description =
  'text/event-stream, the same stream at `/runs/:runId/events` and ' +
  '`/projects/:id/runs/:runId/events`. Events: `snapshot` (the run with its counts but not ' +
  `its plan, its newest ${SNAPSHOT_RESULTS} results and \`resultsTotal\`; sent first, and after ` +
  'each result; page through every result at /runs/:runId/results), `log` (a line of ' +
  'progress: `message`, `at`; a test starting carries `testId`, `testName` and ' +
  '`started: true`; lines of the crawl phase carry `phase: "crawl"`), `result` (one test: ' +
  'testId, testName, status, attempt, durationMs, error, at), `done` (final status in CI shape; ' +
  'the stream then ends). Every event has an `id:`; reconnect with `Last-Event-ID` (or ' +
  '`?lastEventId=`) to get exactly the events missed, or a snapshot when they are no longer ' +
  'kept. A `: heartbeat` comment is sent every 15 s. 204 when the run is over and the client ' +
  'has seen its end.';

/** The OpenAPI schema of a mount: its own path parameters and the errors its access check gives. */
export function runEventsSchema<P extends z.ZodType>(params: P, errorStatuses: number[]) {
  return {
    tags: ['runs'],
    summary: 'Live events of a run (Server-Sent Events, seed 001)',
    description,
    params,
    querystring: eventsQuery,
    response: {
      200: {
        description: 'An event stream (`id:`, `event:` name, `data:` one line of JSON)',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      204: z.null().describe('Nothing more will happen in this run'),
      ...errorResponses(...errorStatuses),
    },
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

/** What the handler needs besides the request: the run log and the app's open streams. */
export interface RunEventsContext {
  runStream: RunStream;
  streams: SseStreams;
}

/**
 * Serve the events of `run` (its access already checked by the mount) from the run log: the
 * missed events after a known `Last-Event-ID`, else a snapshot; then live events until `done`.
 */
export async function streamRunEvents(
  req: FastifyRequest,
  reply: FastifyReply,
  run: Run,
  lastEventId: string | undefined,
  { runStream, streams }: RunEventsContext,
): Promise<FastifyReply | undefined> {
  const afterId = lastEventIdOf(req, lastEventId);
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
  const att = await runStream.attach(run.id, afterId, (e) => (live ? forward(e) : pending.push(e)));

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
      return undefined;
    }
    if (stream.closed) return undefined;
    skip = new Set(snap.results.map(keyOf));
    sendSnapshot(stream, att.lastId, snap);
    if (isTerminal(snap.run.status) && !pending.some((e) => e.type === 'done')) {
      sendDone(stream, att.lastId, snap.run);
      return undefined;
    }
  }
  live = true;
  for (const e of pending.splice(0)) forward(e);
  return undefined;
}
