import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { isTerminal } from '../../domain/run.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { authorizedRun } from '../run-access.ts';

/** How often a live view reads whether its run ended, beside hearing `run.finished`. */
const END_POLL_MS = 5_000;

const params = z.object({ id: projectIdParam, runId: z.string().min(1).max(200) });
const query = z.object({
  testId: z.string().min(1).max(200).optional().describe('Watch only this test of the run'),
});

/** `GET /projects/:id/runs/:runId/live`: screencast frames of the run's running tests. */
export const runLiveRoutes: FastifyPluginAsyncZod<RouteOptions> = async (
  app,
  { deps, streams },
) => {
  const { store, events } = deps;

  app.get(
    '/runs/:runId/live',
    {
      config: { auth: 'trigger' },
      schema: {
        tags: ['runs'],
        summary: 'Live view of a running run (Server-Sent Events of screencast frames)',
        description:
          'text/event-stream. `watching` first ({ runId, testId, status }), then `frame` ' +
          '({ testId, attempt, mime: "image/jpeg", data: base64, at }) a few times a second ' +
          'while a watched test runs (in this server, or on PostgreSQL in any `serve` or ' +
          '`worker` process on the database), and `done` ({ runId, status }) when the run ' +
          'ends. Screencasts run only while someone watches; frames are not kept (across ' +
          "processes only each watched test's latest frame passes through the database). " +
          "Same access as the run's events. 204 when the run is already over.",
        params,
        querystring: query,
        response: {
          200: {
            description: 'An event stream (`event:` name, `data:` one line of JSON)',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          204: z.null().describe('The run is over: nothing to watch'),
          ...errorResponses(401, 403, 404, 503),
        },
      },
    },
    async (req, reply) => {
      const live = deps.live;
      if (!live) {
        throw new AppError('unavailable', 'this server does not run tests, so it has no live view');
      }
      const { run } = await authorizedRun(req, store, req.params.runId, 'read');
      if (run.projectId !== projectOf(req).id) throw notFound('run');
      if (isTerminal(run.status)) return reply.code(204).send(null);

      const testId = req.query.testId ?? null;
      const stream = streams.open(reply);
      const finish = (status: string): void => {
        if (stream.closed) return;
        stream.send('done', { runId: run.id, status });
        stream.close();
      };
      const unsubscribe = events.subscribe(run.id, (e) => {
        if (e.type === 'run.finished') finish(String(e.status));
      });
      // The end is also read from the store: a worker killed right after finishing the run
      // never sends its event, and the watcher would wait for good.
      const poll = setInterval(() => {
        store.runs.status(run.id).then(
          (status) => status && isTerminal(status) && finish(status),
          () => undefined,
        );
      }, END_POLL_MS);
      poll.unref();
      const unwatch = live.watch(run.id, testId, (frame) => {
        // A client that cannot keep up misses frames rather than growing our buffer.
        if (reply.raw.writableNeedDrain) return;
        stream.send('frame', frame);
      });
      stream.onClose(() => {
        clearInterval(poll);
        unwatch();
        unsubscribe();
      });
      stream.send('watching', { runId: run.id, testId, status: run.status });
      // The run may have ended between the first read and the subscription.
      const now = await store.runs.get(run.projectId, run.id);
      if (now && isTerminal(now.status)) finish(now.status);
    },
  );
};
