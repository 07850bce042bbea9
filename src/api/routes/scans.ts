import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { severities } from '../../domain/scan.ts';
import { scanReportFormats } from '../../report/scan-report.ts';
import { reportContentTypes } from '../../report/index.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { scanSpecFields, scanSpecOf } from '../scan-fields.ts';
import { scanDto, scanOf, scanParts, scanReportText, streamScan, toScanDto } from '../scan-http.ts';

const tags = ['scans'];
const params = z.object({ id: projectIdParam });
const scanParams = params.extend({ scanId: z.string().min(1).max(100) });
const findingsQuery = z.object({
  severity: z.enum(severities).optional(),
  rule: z.string().max(100).optional(),
  status: z.enum(['new', 'existing']).optional(),
  file: z.string().max(1000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const findingsDto = z
  .object({
    findings: z.array(z.record(z.string(), z.unknown())),
    total: z.number().int(),
    scan: scanDto.nullable(),
  })
  .meta({ id: 'ScanFindings' });

/**
 * Greenlight's own scan resources under `/projects/:id`: start a scan, read it, its findings
 * (with code excerpts), its progress (SSE) and reports; a run's scan; waive a finding.
 * Editors (API keys with the `scan` scope) and trigger tokens with the `scan` scope start scans.
 */
export const scanRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, streams }) => {
  const { store } = deps;

  app.post(
    '/scans',
    {
      config: { auth: 'scan' },
      schema: {
        tags,
        summary: 'Scan files, an archive or a repository path on the server',
        description:
          'Answers 202 with the queued scan; with `wait: true`, 200 with the finished one.',
        params,
        body: z
          .strictObject({ ...scanSpecFields, wait: z.boolean().optional() })
          .meta({ id: 'StartScan' }),
        response: { 200: scanDto, 202: scanDto, ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const { scans } = scanParts(deps);
      const { wait, ...spec } = req.body;
      if (wait) {
        const { record } = await scans.scan(project, scanSpecOf(spec), req.principal, 'api');
        return reply.code(200).send(toScanDto(record));
      }
      const record = await scans.start(project, scanSpecOf(spec), req.principal, 'api');
      return reply.code(202).send(toScanDto(record));
    },
  );

  app.get(
    '/scans',
    {
      config: { auth: 'scan', role: 'viewer' },
      schema: {
        tags,
        summary: 'Scans of the project, newest first',
        params,
        querystring: z.object({
          runId: z.string().max(100).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ scans: z.array(scanDto) }), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => ({
      scans: (
        await store.scans.list(projectOf(req).id, {
          limit: req.query.limit,
          ...(req.query.runId ? { runId: req.query.runId } : {}),
        })
      ).map(toScanDto),
    }),
  );

  app.get(
    '/scans/:scanId',
    {
      config: { auth: 'scan', role: 'viewer' },
      schema: {
        tags,
        summary: 'One scan: status, summary and gate',
        params: scanParams,
        response: { 200: scanDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => toScanDto(await scanOf(store, projectOf(req).id, req.params.scanId)),
  );

  app.get(
    '/scans/:scanId/findings',
    {
      config: { auth: 'scan', role: 'viewer' },
      schema: {
        tags,
        summary: 'Findings of a scan, with a code excerpt each (secrets masked)',
        params: scanParams,
        querystring: findingsQuery,
        response: { 200: findingsDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const scan = await scanOf(store, projectOf(req).id, req.params.scanId);
      const q = req.query;
      const page = await store.scans.findings(scan.id, {
        severity: q.severity,
        ruleId: q.rule,
        status: q.status,
        file: q.file,
        limit: q.limit,
        offset: q.offset,
      });
      return {
        findings: page.findings as unknown as Record<string, unknown>[],
        total: page.total,
        scan: toScanDto(scan),
      };
    },
  );

  app.get(
    '/runs/:runId/scan',
    {
      config: { auth: 'scan', role: 'viewer' },
      schema: {
        tags,
        summary: "A run's scan and its findings (the dashboard's run view)",
        params: params.extend({ runId: z.string().min(1).max(100) }),
        querystring: findingsQuery,
        response: { 200: findingsDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const project = projectOf(req);
      const run = await store.runs.get(project.id, req.params.runId);
      if (!run) throw notFound('run');
      const scan = await store.scans.forRun(run.id);
      if (!scan) return { findings: [], total: 0, scan: null };
      const q = req.query;
      const page = await store.scans.findings(scan.id, {
        severity: q.severity,
        ruleId: q.rule,
        status: q.status,
        file: q.file,
        limit: q.limit,
        offset: q.offset,
      });
      return {
        findings: page.findings as unknown as Record<string, unknown>[],
        total: page.total,
        scan: toScanDto(scan),
      };
    },
  );

  app.get(
    '/scans/:scanId/events',
    {
      config: { auth: 'scan', role: 'viewer' },
      schema: {
        tags,
        summary: 'Progress of a scan (SSE): progress events, then done',
        params: scanParams,
      },
    },
    async (req, reply) => {
      const { scans } = scanParts(deps);
      const scan = await scanOf(store, projectOf(req).id, req.params.scanId);
      await streamScan(req, reply, streams, scans, store, scan);
      return reply;
    },
  );

  app.get(
    '/scans/:scanId/report',
    {
      config: { auth: 'scan', role: 'viewer' },
      schema: {
        tags,
        summary: 'A report of a scan: sarif (default), junit, html, markdown, json',
        params: scanParams,
        querystring: z.object({ format: z.enum(scanReportFormats).default('sarif') }),
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const scan = await scanOf(store, project.id, req.params.scanId);
      const body = await scanReportText(store, project, scan, req.query.format);
      return reply.type(reportContentTypes[req.query.format].contentType).send(body);
    },
  );

  app.post(
    '/scans/:scanId/findings/:fingerprint/suppress',
    {
      config: { auth: 'scan' },
      schema: {
        tags,
        summary:
          'Waive one finding (by fingerprint) with a reason; you are recorded as the approver',
        params: scanParams.extend({ fingerprint: z.string().regex(/^[a-f0-9]{64}$/) }),
        body: z.strictObject({
          reason: z.string().min(3).max(1000),
          expires: z.string().max(40).optional(),
        }),
        response: { 201: z.record(z.string(), z.unknown()), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const scan = await scanOf(store, project.id, req.params.scanId);
      const page = await store.scans.findings(scan.id, { limit: 10_000, offset: 0 });
      const f = page.findings.find((x) => x.fingerprint === req.params.fingerprint);
      if (!f) throw notFound('finding');
      const { admin } = scanParts(deps);
      const s = await admin.addSuppression(project.id, req.principal!, {
        rule: f.ruleId,
        fingerprint: req.params.fingerprint,
        reason: req.body.reason,
        ...(req.body.expires ? { expires: req.body.expires } : {}),
      });
      return reply.code(201).send(s as unknown as Record<string, unknown>);
    },
  );
};
