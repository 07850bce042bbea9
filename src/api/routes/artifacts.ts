import type { FastifyReply, FastifyRequest } from 'fastify';
import fresh from 'fresh';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import type { Run } from '../../domain/run.ts';
import { openRunArtifact } from '../../engine/artifact-files.ts';
import { artifactContentTypes } from '../../store/artifacts/artifact-store.ts';
import type { ApiDeps, RouteOptions } from '../app.ts';
import { partOfRangeHeader, validatorsOf } from '../byte-range.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam } from '../project-scope.ts';
import { authorizedRun, scopedRun } from '../run-access.ts';

const tags = ['runs'];
const path = z
  .string()
  .describe("Path inside the run's artifact folder, e.g. `<testId>-1/failure.png`");
const params = z.object({ runId: z.string().min(1).max(200), '*': path });
const scopedParams = z.object({ id: projectIdParam, ...params.shape });
const query = z.object({
  download: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('Send Content-Disposition: attachment with the file name'),
});

const contentTypes = artifactContentTypes;

const description =
  "A file the run recorded (screenshot, trace, video, …), streamed. The result DTOs' " +
  '`artifacts.*Url` fields link here. Same access as the run: a trigger token of its project or ' +
  'a workspace user (viewer+). 404 for anything outside the run folder, 410 `artifact_expired` ' +
  'once retention deleted the run’s artifacts. One byte range (`Range: bytes=0-1023`, `bytes=-500`, ' +
  '`bytes=1024-`) answers 206 with that part, for seeking in a video or resuming a download; a ' +
  'range past the end answers 416 `range_not_satisfiable`; several ranges, a malformed one or an ' +
  '`If-Range` naming another version get the whole file. Every answer carries `ETag` and ' +
  '`Last-Modified`; `If-None-Match` or `If-Modified-Since` naming the current version answer ' +
  '304 without a body.';

const fileContent = Object.fromEntries(
  [...new Set([...Object.values(contentTypes), 'application/octet-stream'])].map((t) => [
    t.split(';')[0],
    { schema: z.string() },
  ]),
);

const responses = {
  200: { description: 'The file', content: fileContent },
  206: {
    description:
      'The one byte range asked for, named by `Content-Range: bytes <first>-<last>/<size>`',
    content: fileContent,
  },
  304: z
    .undefined()
    .describe('The copy the client holds is current (If-None-Match, If-Modified-Since)'),
  ...errorResponses(401, 403, 404, 410, 416, 503),
};

type Query = z.output<typeof query>;

/**
 * A trigger token of another project learns nothing about this run or its files: 404, as if
 * the run did not exist (users of the workspace keep the usual role checks).
 */
async function hideOtherProjects(
  req: FastifyRequest,
  deps: ApiDeps,
  target: { runId?: string; projectRef?: string },
): Promise<void> {
  const p = req.principal;
  if (p?.kind !== 'trigger') return;
  const projectId = target.runId
    ? (await deps.store.runs.get(null, target.runId))?.projectId
    : (await deps.store.projects.get(target.projectRef ?? ''))?.id;
  if (projectId !== p.projectId) throw notFound('run');
}

async function sendArtifact(
  deps: ApiDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  run: Run,
  path: string,
  q: Query,
): Promise<FastifyReply> {
  const partOf = partOfRangeHeader(req.headers);
  const file = await openRunArtifact(deps.store, deps.engine.artifactStore, run, path, partOf);
  const { etag, lastModified } = validatorsOf(file.bytes, file.modifiedAt);
  reply.header('etag', etag);
  reply.header('last-modified', lastModified);
  reply.header('accept-ranges', 'bytes');
  reply.header('x-content-type-options', 'nosniff');
  // Nothing served here is a page: never let a file run script in the API's origin.
  reply.header('content-security-policy', "default-src 'none'; sandbox");
  reply.header('cache-control', 'private, max-age=300');
  if (q.download === 'true' || q.download === '1') {
    reply.header('content-disposition', `attachment; filename="${file.name}"`);
  }
  // The copy the client holds is this one (If-None-Match, If-Modified-Since): nothing to send,
  // whatever range it asked for (RFC 9110 §13.2.2 weighs the conditions before the range).
  if (fresh(req.headers, { etag, 'last-modified': lastModified })) {
    file.stream.destroy();
    return reply.code(304).send();
  }
  if (file.part === 'unsatisfiable') {
    // The error handler keeps the headers set so far: the client learns the size from this one.
    reply.header('content-range', `bytes */${file.bytes}`);
    throw new AppError(
      'range_not_satisfiable',
      `the range asked for lies outside the file's ${file.bytes} bytes`,
      { range: req.headers.range, bytes: file.bytes },
    );
  }
  if (file.part) {
    const { start, end } = file.part;
    reply.code(206);
    reply.header('content-range', `bytes ${start}-${end}/${file.bytes}`);
    reply.header('content-length', end - start + 1);
  } else {
    reply.header('content-length', file.bytes);
  }
  return reply.type(contentTypes[file.ext] ?? 'application/octet-stream').send(file.stream);
}

/** GET /runs/:runId/artifacts/* (a run addressed by id alone, as pipelines hold it). */
export const artifactRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/runs/:runId/artifacts/*',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'A file of a run (screenshot, trace, video)',
        description,
        params,
        querystring: query,
        response: responses,
      },
    },
    async (req, reply) => {
      await hideOtherProjects(req, deps, { runId: req.params.runId });
      const { run } = await authorizedRun(req, deps.store, req.params.runId, 'read');
      return sendArtifact(deps, req, reply, run, req.params['*'], req.query);
    },
  );
};

/** GET /projects/:id/runs/:runId/artifacts/* (inside the project scope, which checks access). */
export const projectArtifactRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/runs/:runId/artifacts/*',
    {
      config: { auth: 'trigger', role: 'viewer', scope: 'runs:read' },
      // Before the project scope's check, which would answer 403 to another project's token.
      onRequest: async (req) => {
        const { id } = req.params as { id?: string };
        await hideOtherProjects(req, deps, { projectRef: id ?? '' });
      },
      schema: {
        tags,
        summary: 'A file of a run of this project (screenshot, trace, video)',
        description,
        params: scopedParams,
        querystring: query,
        response: responses,
      },
    },
    async (req, reply) => {
      const { run } = await scopedRun(req, deps.store, req.params.runId);
      return sendArtifact(deps, req, reply, run, req.params['*'], req.query);
    },
  );
};
