import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import type { Project } from '../../domain/project.ts';
import { countBySeverity, isActive, type GateResult, type ScanFinding } from '../../domain/scan.ts';
import type { Role } from '../../domain/principal.ts';
import type { ScanInputSpec } from '../../engine/scan-service.ts';
import type { ScanReport } from '../../scan/scanner.ts';
import { fromGuardConfig, parseScanConfig, type ScanConfig } from '../../scan/scan-config.ts';
import type { Store } from '../../store/connect.ts';
import { requireScanAccess } from '../auth.ts';
import { toErrorResponse } from '../errors.ts';

/** sentrik's scan request (`POST /scan`, `/gate`, `/report`, `/api/run-scan-stream`), plus base/branch. */
export const sentrikScanBody = z
  .object({
    repo_path: z.string().min(1).max(1000).optional(),
    files: z.record(z.string().min(1).max(1000), z.string().max(10_000_000)).optional(),
    changed_files: z.array(z.string().min(1).max(1000)).max(50_000).optional(),
    config_overrides: z.record(z.string(), z.unknown()).optional(),
    base: z.string().min(1).max(200).optional(),
    branch: z.string().min(1).max(200).optional(),
    commit_sha: z.string().min(4).max(64).optional(),
  })
  .meta({ id: 'SentrikScanRequest' });
export type SentrikScanBody = z.output<typeof sentrikScanBody>;

/** Keys of sentrik's `.guard.yaml`: a config in that vocabulary is translated. */
const GUARD_KEYS = [
  'standards_packs',
  'gate_fail_on',
  'pack_overrides',
  'exclude_paths',
  'ignore_paths',
  'max_workers',
  'parallel_scan',
];

/** A config object in either vocabulary (sentrik's `.guard.yaml` keys or Greenlight's). */
export function configFrom(raw: Record<string, unknown>, where: string): ScanConfig {
  return Object.keys(raw).some((k) => GUARD_KEYS.includes(k))
    ? fromGuardConfig(raw, [])
    : parseScanConfig(raw, where);
}

export function specOf(b: SentrikScanBody): ScanInputSpec {
  if (b.repo_path === undefined && b.files === undefined) {
    throw new AppError(
      'validation_failed',
      'give files (inline) or repo_path (a directory under GREENLIGHT_SCAN_ROOTS)',
      [{ path: 'body', message: 'files or repo_path is required' }],
    );
  }
  return {
    ...(b.files !== undefined ? { files: b.files } : { repoPath: b.repo_path as string }),
    ...(b.changed_files ? { changedFiles: b.changed_files } : {}),
    ...(b.config_overrides
      ? { configOverrides: configFrom(b.config_overrides, 'config_overrides') }
      : {}),
    ...(b.base ? { base: b.base } : {}),
    ...(b.branch ? { branch: b.branch } : {}),
    ...(b.commit_sha ? { commitSha: b.commit_sha } : {}),
  };
}

/** A finding in sentrik's snake_case vocabulary (Greenlight's extra fields kept). */
export function sentrikFinding(f: ScanFinding) {
  return {
    rule_id: f.ruleId,
    rule_name: f.ruleName ?? f.ruleId,
    severity: f.severity,
    message: f.message,
    file: f.file,
    line: f.startLine ?? null,
    column: f.startColumn ?? null,
    end_line: f.endLine ?? null,
    end_column: f.endColumn ?? null,
    snippet: f.snippet ?? null,
    excerpt: f.excerpt ?? null,
    fingerprint: f.fingerprint ?? null,
    status: f.status ?? 'new',
    suppressed: Boolean(f.suppressed),
    suppression_reason: f.suppressed?.justification ?? null,
    approved: Boolean(f.approved),
    kind: f.kind ?? null,
    cwe: f.cwe ?? [],
    standard: f.standard ?? null,
    clause: f.clause ?? null,
    tags: f.tags ?? [],
    remediation_guidance: f.help ?? null,
  };
}

/** `{passed, total_findings, critical, high, …}` plus the gate's conditions. */
export function gateBody(
  findings: ScanFinding[],
  gate: GateResult,
  extra: Record<string, unknown>,
) {
  const active = findings.filter(isActive);
  return {
    passed: gate.passed,
    total_findings: active.length,
    ...countBySeverity(active),
    new_findings: active.filter((f) => f.status !== 'existing').length,
    existing_findings: active.filter((f) => f.status === 'existing').length,
    suppressed: findings.filter((f) => f.suppressed).length,
    approved: findings.filter((f) => !f.suppressed && f.approved).length,
    conditions: gate.conditions,
    reason: gate.reason,
    ...extra,
  };
}

export function scanBody(report: ScanReport, scanId: string) {
  return {
    findings: report.findings.map(sentrikFinding),
    total: report.findings.length,
    by_severity: countBySeverity(report.findings.filter(isActive)),
    scan_id: scanId,
    status: report.status,
    error: report.error,
    warnings: report.warnings,
    files_scanned: report.summary.files,
    skipped: report.summary.skipped,
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The project a sentrik-shaped request acts on (token's, path's or header's). */
    sentrikProject: Project | null;
  }
}

/**
 * sentrik has no projects: the project comes from the path (`/scan-gate/projects/:project/…`),
 * a trigger token's own project, or the `X-Greenlight-Project` header / `?project=` for users.
 */
export function useSentrikProject(app: FastifyInstance, store: Store): void {
  app.decorateRequest('sentrikProject', null);
  app.addHook('preValidation', async (req) => {
    if (req.routeOptions.config?.auth === 'public') return;
    const p = req.principal;
    const fromPath = (req.params as { project?: unknown }).project;
    const header = req.headers['x-greenlight-project'];
    const query = (req.query as { project?: unknown } | undefined)?.project;
    const named = [fromPath, header, query].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    const id = named ?? (p?.kind === 'trigger' ? p.projectId : undefined);
    if (!id) {
      throw new AppError(
        'bad_request',
        'name the project: use a trigger token, the X-Greenlight-Project header, or /scan-gate/projects/<project>/…',
      );
    }
    const project = await store.projects.get(id);
    if (!project) throw notFound('project');
    req.sentrikProject = project;
  });
}

/** The request's project after checking the caller may act on it with `role`. */
export function sentrikProject(req: FastifyRequest, role: Role = 'editor'): Project {
  const project = req.sentrikProject;
  if (!project) throw new Error('sentrikProject() outside the sentrik scope');
  requireScanAccess(req, project, role);
  return project;
}

/** sentrik answers validation errors with 422 (its error table); everything else as Greenlight. */
export function useSentrikErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toErrorResponse(err);
    const code = body.code === 'validation_failed' ? 422 : status;
    if (code >= 500) req.log.error({ err }, 'request failed');
    return reply.code(code).type('application/json').send(body);
  });
}

/** Features sentrik has and Greenlight does not: a 501 that says so. */
export const notImplemented: Record<string, string> = {
  'GET /api/license':
    'Greenlight is open source and has no license keys; every feature is available.',
  'GET /api/work-items':
    'Greenlight does not track DevOps work items; use PR comments, commit statuses and notifications instead.',
  'POST /api/reconcile':
    'Greenlight does not track DevOps work items, so there is nothing to reconcile.',
  'POST /api/devops/test-connection': 'Greenlight has no DevOps work-item provider to connect to.',
  'GET /api/devops/status': 'Greenlight has no DevOps work-item provider.',
  'POST /api/generate-reqs': 'Greenlight does not generate requirements from code.',
  'GET /api/check-coverage':
    'Greenlight does not track requirements, so it has no requirement coverage.',
};
