import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import pkg from '../../../package.json' with { type: 'json' };
import { AppError } from '../../domain/errors.ts';
import { countBySeverity, isActive, severities, type ScanFinding } from '../../domain/scan.ts';
import { renderScanReport } from '../../report/scan-report.ts';
import type { RouteOptions } from '../app.ts';
import { scanParts, streamScan } from '../scan-http.ts';
import { sentrikAdminRoutes } from './sentrik-admin.ts';
import {
  gateBody,
  notImplemented,
  scanBody,
  sentrikFinding,
  sentrikProject,
  sentrikScanBody,
  specOf,
  useSentrikErrors,
  useSentrikProject,
} from './sentrik-shapes.ts';

const tags = ['sentrik'];
const scanConfig = { auth: 'scan' as const };
const readConfig = { auth: 'scan' as const, role: 'viewer' as const };

/**
 * sentrik's REST API (seed 004) under one prefix (`/scan-gate`): a sentrik client changes only its
 * base URL and token. Shapes are sentrik's; the work is Greenlight's scan service. Validation
 * errors answer 422 as sentrik's table says; features Greenlight lacks answer 501.
 */
export const sentrikRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, opts) => {
  const { deps } = opts;
  const { store } = deps;
  useSentrikErrors(app);
  useSentrikProject(app, store);

  app.get(
    '/health',
    { config: { auth: 'public' }, schema: { tags, summary: 'Health check (no auth)' } },
    async () => ({
      status: 'ok',
      version: pkg.version,
    }),
  );

  app.post(
    '/scan',
    {
      config: scanConfig,
      schema: {
        tags,
        summary: 'Scan code: { findings, total, by_severity }',
        body: sentrikScanBody,
      },
    },
    async (req) => {
      const project = sentrikProject(req);
      const { scans } = scanParts(deps);
      const { record, report } = await scans.scan(
        project,
        specOf(req.body),
        req.principal,
        'sentrik',
      );
      return scanBody(report, record.id);
    },
  );

  app.post(
    '/gate',
    {
      config: scanConfig,
      schema: {
        tags,
        summary: 'Scan and judge: { passed, total_findings, critical, high, … }',
        body: sentrikScanBody,
      },
    },
    async (req) => {
      const project = sentrikProject(req);
      const { scans } = scanParts(deps);
      const { record, report } = await scans.scan(
        project,
        specOf(req.body),
        req.principal,
        'sentrik',
      );
      if (report.status === 'error')
        throw new AppError('internal', `the scan could not finish: ${report.error}`);
      const approval =
        report.status === 'failed'
          ? (await store.scanApprovals.list(project.id, { limit: 20 })).find(
              (a) => a.scanId === record.id,
            )
          : undefined;
      return gateBody(report.findings, report.gate, {
        scan_id: record.id,
        ...(approval ? { approval_id: approval.id } : {}),
      });
    },
  );

  app.post(
    '/report',
    {
      config: scanConfig,
      schema: {
        tags,
        summary: 'Scan and render a report: { format, content }',
        querystring: z.object({ format: z.enum(['html', 'junit', 'sarif']).default('html') }),
        body: sentrikScanBody,
      },
    },
    async (req) => {
      const project = sentrikProject(req);
      const { scans } = scanParts(deps);
      const { record, report } = await scans.scan(
        project,
        specOf(req.body),
        req.principal,
        'sentrik',
      );
      const content = renderScanReport(req.query.format, {
        scanId: record.id,
        project,
        status: report.status,
        findings: report.findings,
        gate: report.gate,
        startedAt: record.startedAt,
        finishedAt: record.finishedAt,
      });
      return { format: req.query.format, content };
    },
  );

  app.get(
    '/rules',
    {
      config: readConfig,
      schema: { tags, summary: 'Every rule the project runs: { rules, total }' },
    },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const rules = await scanParts(deps).admin.rules(project.id);
      return { rules, total: rules.length };
    },
  );

  app.post(
    '/api/run-scan-stream',
    {
      config: scanConfig,
      schema: {
        tags,
        summary: 'Scan with progress as SSE (progress…, done)',
        body: sentrikScanBody,
      },
    },
    async (req, reply) => {
      const project = sentrikProject(req);
      const { scans } = scanParts(deps);
      const record = await scans.start(project, specOf(req.body), req.principal, 'sentrik');
      await streamScan(req, reply, opts.streams, scans, store, record, (s) => ({
        scan_id: s.id,
        status: s.status,
        summary: s.summary,
        gate: s.gate,
        error: s.error,
      }));
      return reply;
    },
  );

  app.get(
    '/api/findings',
    {
      config: readConfig,
      schema: {
        tags,
        summary: 'Findings of the latest scan (or scan_id)',
        querystring: z.object({
          scan_id: z.string().max(100).optional(),
          severity: z.enum(severities).optional(),
          rule_id: z.string().max(100).optional(),
          status: z.enum(['new', 'existing']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(500),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const q = req.query;
      const scan = q.scan_id
        ? await store.scans.get(project.id, q.scan_id)
        : (await store.scans.list(project.id, { limit: 1 }))[0];
      if (!scan) return { findings: [], total: 0, by_severity: countBySeverity([]), scan_id: null };
      const page = await store.scans.findings(scan.id, {
        severity: q.severity,
        ruleId: q.rule_id,
        status: q.status,
        limit: q.limit,
        offset: q.offset,
      });
      return {
        findings: page.findings.map(sentrikFinding),
        total: page.total,
        by_severity: countBySeverity(page.findings.filter(isActive)),
        scan_id: scan.id,
      };
    },
  );

  app.get(
    '/api/metrics',
    { config: readConfig, schema: { tags, summary: 'Scan metrics of the project' } },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const scans = await store.scans.list(project.id, { limit: 200 });
      const done = scans.filter((s) => s.finishedAt);
      const last = done[0];
      const durations = done.map((s) =>
        Number((s.summary as { durationMs?: number } | null)?.durationMs ?? 0),
      );
      return {
        total_scans: scans.length,
        passed: done.filter((s) => s.status === 'passed').length,
        failed: done.filter((s) => s.status === 'failed').length,
        errors: done.filter((s) => s.status === 'error').length,
        last_scan: last
          ? {
              scan_id: last.id,
              status: last.status,
              finished_at: last.finishedAt,
              by_severity: (last.summary as { bySeverity?: unknown } | null)?.bySeverity ?? null,
            }
          : null,
        avg_duration_ms: durations.length
          ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length)
          : 0,
      };
    },
  );

  app.get(
    '/api/trends',
    {
      config: readConfig,
      schema: {
        tags,
        summary: 'Findings per scan over time',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(30) }),
      },
    },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const scans = (await store.scans.list(project.id, { limit: req.query.limit }))
        .filter((s) => s.finishedAt)
        .reverse();
      return {
        trends: scans.map((s) => {
          const sum = s.summary as {
            bySeverity?: Record<string, number>;
            newFindings?: number;
          } | null;
          const by = sum?.bySeverity ?? countBySeverity([] as ScanFinding[]);
          return {
            scan_id: s.id,
            date: s.finishedAt,
            status: s.status,
            total: Object.values(by).reduce((a, b) => a + b, 0),
            new: sum?.newFindings ?? 0,
            by_severity: by,
          };
        }),
      };
    },
  );

  // Not `opts`: it carries this plugin's prefix, which would apply twice.
  await app.register(sentrikAdminRoutes, { deps: opts.deps, streams: opts.streams });

  for (const [route, message] of Object.entries(notImplemented)) {
    const [method, url] = route.split(' ') as [string, string];
    app.route({
      method: method as 'GET' | 'POST',
      url,
      config: { auth: 'public' },
      schema: { tags, summary: `Not available in Greenlight (501): ${message}` },
      handler: async (_req, reply) =>
        reply.code(501).send({ error: message, code: 'not_implemented' }),
    });
  }
};
