import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import pkg from '../../../package.json' with { type: 'json' };
import type { Project } from '../../domain/project.ts';
import type { Run } from '../../domain/run.ts';
import { reportImageReader } from '../../engine/report-images.ts';
import { reportContentTypes, reportFormats, streamReport } from '../../report/index.ts';
import { jsonReportJsonSchema } from '../../report/json.ts';
import { loadReportInput } from '../../report/report-source.ts';
import type { ApiDeps, RouteOptions } from '../app.ts';
import { authorizedRun, scopedRun } from '../run-access.ts';
import { artifactUrlsOf } from '../artifact-urls.ts';
import { errorResponses } from '../errors.ts';
import { runPageUrlOf } from '../trigger-http.ts';

const tags = ['reports'];
const params = z.object({ runId: z.string().min(1).max(200) });
const scopedParams = z.object({ id: z.string().min(1), runId: z.string().min(1).max(200) });
const query = z.object({
  format: z
    .enum(reportFormats)
    .default('json')
    .describe('junit (XML), html (one self-contained page), sarif (2.1.0), json, markdown'),
  download: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('Send Content-Disposition: attachment with a file name'),
});

const description =
  'The run as a report. `junit`: JUnit XML (one testcase per test, Surefire flaky/rerun ' +
  'elements for retries). `html`: one self-contained page with inline screenshots. `sarif`: ' +
  'SARIF 2.1.0 with one result per failed, errored or flaky test. `json`: the versioned JSON ' +
  'report (schema at /api/v1/schemas/report.json). `markdown`: the summary used for PR ' +
  'comments and job summaries. A running run gives a partial report.';

const responses = {
  200: {
    description: 'The report',
    content: Object.fromEntries(
      Object.values(reportContentTypes).map((t) => [
        t.contentType.split(';')[0],
        { schema: z.string() },
      ]),
    ),
  },
  ...errorResponses(400, 401, 403, 404),
};

type ReportQuery = z.output<typeof query>;

async function sendReport(
  deps: ApiDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  found: { run: Run; project: Project },
  q: ReportQuery,
): Promise<FastifyReply> {
  const input = await loadReportInput(deps.store, found, {
    links: {
      runUrl: runPageUrlOf(req, deps, found.run),
      artifactUrl: artifactUrlsOf(req, deps, found.run),
    },
    toolVersion: pkg.version,
  });
  const report = streamReport(
    q.format,
    input,
    q.format === 'html'
      ? { readArtifact: await reportImageReader(deps.engine.artifactStore, input) }
      : {},
  );
  if (q.download === 'true' || q.download === '1') {
    const name = `greenlight-${found.project.slug}-${found.run.id}.${report.extension}`.replace(
      /[^A-Za-z0-9._-]/g,
      '_',
    );
    reply.header('content-disposition', `attachment; filename="${name}"`);
  }
  // The HTML page runs its own inline script only; nothing may frame or extend it.
  if (q.format === 'html') {
    reply.header(
      'content-security-policy',
      "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    );
  }
  reply.header('x-content-type-options', 'nosniff');
  // Sent as it is rendered: a 10,000-test report is never one string in memory.
  return reply.type(report.contentType).send(Readable.from(report.chunks));
}

/** GET /runs/:runId/report and the published JSON Schema of the JSON report. */
export const reportRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const schema = jsonReportJsonSchema();
  app.get(
    '/schemas/report.json',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['system'],
        summary: 'JSON Schema of the JSON run report (schemaVersion 1)',
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async (_req, reply) => reply.type('application/schema+json').send(schema),
  );

  app.get(
    '/runs/:runId/report',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'A report of a run',
        description,
        params,
        querystring: query,
        response: responses,
      },
    },
    async (req, reply) =>
      sendReport(
        deps,
        req,
        reply,
        await authorizedRun(req, deps.store, req.params.runId, 'read'),
        req.query,
      ),
  );
};

/** GET /projects/:id/runs/:runId/report (inside the project scope, which checks access). */
export const projectReportRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/runs/:runId/report',
    {
      config: { auth: 'trigger', role: 'viewer', scope: 'runs:read' },
      schema: {
        tags,
        summary: 'A report of a run of this project',
        description,
        params: scopedParams,
        querystring: query,
        response: responses,
      },
    },
    async (req, reply) =>
      sendReport(deps, req, reply, await scopedRun(req, deps.store, req.params.runId), req.query),
  );
};
