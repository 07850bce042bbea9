import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { approvalView } from '../../engine/scan-admin.ts';
import type { RouteOptions } from '../app.ts';
import { scanParts } from '../scan-http.ts';
import { configFrom, sentrikProject } from './sentrik-shapes.ts';

const tags = ['sentrik'];
const write = { auth: 'scan' as const };
const read = { auth: 'scan' as const, role: 'viewer' as const };
const idParam = z.object({ id: z.string().min(1).max(100) });
const YAML_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'text/plain',
];

/** sentrik's configuration, governance, audit, pack, suppression and approval endpoints. */
export const sentrikAdminRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;
  // Packs are imported as YAML text; inside this plugin only.
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) =>
    done(null, { yaml: String(body) }),
  );

  app.get(
    '/api/config',
    { config: read, schema: { tags, summary: 'The project scan config (stored and effective)' } },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const { config, effective } = await scanParts(deps).admin.config(project.id);
      return { config, effective: { ...effective, rules: effective.rules.map((r) => r.id) } };
    },
  );

  app.post(
    '/api/config',
    {
      config: write,
      schema: {
        tags,
        summary: 'Replace the project scan config (sentrik or Greenlight keys)',
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (req) => {
      const project = sentrikProject(req);
      const { admin } = scanParts(deps);
      await admin.updateConfig(project.id, req.principal!, {
        config: configFrom(req.body, 'config'),
      });
      return { updated: true, ...(await admin.config(project.id)).config };
    },
  );

  app.get(
    '/api/config/validate',
    { config: read, schema: { tags, summary: 'Check the stored config' } },
    async (req) => scanParts(deps).admin.validate(sentrikProject(req, 'viewer').id),
  );

  app.get(
    '/api/governance',
    { config: read, schema: { tags, summary: 'Approval settings and gate policy' } },
    async (req) => {
      const { governance, effective } = await scanParts(deps).admin.config(
        sentrikProject(req, 'viewer').id,
      );
      return { ...governance, gate: effective.gate };
    },
  );

  app.post(
    '/api/governance',
    {
      config: { ...write, role: 'admin' as const },
      schema: {
        tags,
        summary: 'Update approval settings (admin)',
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (req) => {
      const project = sentrikProject(req, 'admin');
      const { admin } = scanParts(deps);
      const { gate, ...governance } = req.body;
      const current = await admin.config(project.id);
      await admin.updateConfig(project.id, req.principal!, {
        governance: { ...current.governance, ...governance },
        ...(gate !== undefined ? { config: { ...current.config, gate } } : {}),
      });
      const after = await admin.config(project.id);
      return { ...after.governance, gate: after.effective.gate };
    },
  );

  app.get(
    '/api/audit',
    {
      config: read,
      schema: {
        tags,
        summary: 'Audit log (append-only, hash-chained) and whether the chain verifies',
        querystring: z.object({
          after: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
      },
    },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const [entries, chain] = await Promise.all([
        store.scanAudit.list(project.id, { limit: req.query.limit, afterSeq: req.query.after }),
        store.scanAudit.verify(project.id),
      ]);
      return {
        entries,
        total: chain.entries,
        chain: { valid: chain.brokenAt === null, broken_at: chain.brokenAt },
      };
    },
  );

  app.get(
    '/api/packs',
    { config: read, schema: { tags, summary: 'Shipped and custom packs' } },
    async (req) => {
      const packs = await scanParts(deps).admin.packs(sentrikProject(req, 'viewer').id);
      return { packs, total: packs.length };
    },
  );

  app.post(
    '/api/packs',
    {
      config: write,
      schema: {
        tags,
        summary: 'Create a custom pack { id, name, description, rules }',
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (req, reply) => {
      const project = sentrikProject(req);
      const pack = await scanParts(deps).admin.savePack(project.id, req.principal!, {
        pack: req.body,
      });
      return reply.code(201).send({ id: pack.id, name: pack.name, rules: pack.rules.length });
    },
  );

  app.post(
    '/api/packs/import',
    {
      config: write,
      schema: {
        tags,
        summary: 'Import a pack from YAML (body as application/yaml, or JSON { yaml })',
        body: z.object({ yaml: z.string().min(1).max(2_000_000) }),
      },
    },
    async (req, reply) => {
      const project = sentrikProject(req);
      const pack = await scanParts(deps).admin.savePack(
        project.id,
        req.principal!,
        { yaml: req.body.yaml },
        'pack.imported',
      );
      return reply.code(201).send({ id: pack.id, name: pack.name, rules: pack.rules.length });
    },
  );

  app.delete(
    '/api/packs/:id',
    { config: write, schema: { tags, summary: 'Delete a custom pack', params: idParam } },
    async (req, reply) => {
      const project = sentrikProject(req);
      await scanParts(deps).admin.deletePack(project.id, req.principal!, req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/packs/:id/export',
    { config: read, schema: { tags, summary: 'A pack as YAML', params: idParam } },
    async (req, reply) => {
      const project = sentrikProject(req, 'viewer');
      const yaml = await scanParts(deps).admin.exportPack(project.id, req.params.id);
      return reply
        .type('application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="${req.params.id}.yaml"`)
        .send(yaml);
    },
  );

  app.post(
    '/api/packs/:id/overrides',
    {
      config: write,
      schema: {
        tags,
        summary: 'Set the pack rule overrides { RULE: { enabled, severity } }',
        params: idParam,
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (req) => {
      const project = sentrikProject(req);
      const raw =
        'overrides' in req.body && typeof req.body.overrides === 'object'
          ? req.body.overrides
          : req.body;
      await scanParts(deps).admin.setOverrides(project.id, req.principal!, req.params.id, raw);
      return { pack: req.params.id, overrides: raw };
    },
  );

  app.get(
    '/api/suppressions',
    { config: read, schema: { tags, summary: 'Active suppressions of the project' } },
    async (req) => {
      const list = (
        await scanParts(deps).admin.suppressions(sentrikProject(req, 'viewer').id)
      ).filter((s) => s.active);
      return { suppressions: list, total: list.length };
    },
  );

  app.get(
    '/api/approvals',
    {
      config: read,
      schema: {
        tags,
        summary: 'Approval requests of failed gates',
        querystring: z.object({ status: z.enum(['pending', 'approved', 'rejected']).optional() }),
      },
    },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const list = await store.scanApprovals.list(project.id, {
        limit: 200,
        ...(req.query.status ? { status: req.query.status } : {}),
      });
      return { approvals: list.map((a) => approvalView(a)), total: list.length };
    },
  );

  const getApproval = async (projectId: string, id: string) => {
    const a = await store.scanApprovals.get(projectId, id);
    if (!a) throw notFound('approval');
    return approvalView(a);
  };

  app.get(
    '/api/approvals/:id',
    { config: read, schema: { tags, summary: 'One approval request', params: idParam } },
    async (req) => getApproval(sentrikProject(req, 'viewer').id, req.params.id),
  );

  app.get(
    '/api/approvals/:id/status',
    { config: read, schema: { tags, summary: 'Status of an approval request', params: idParam } },
    async (req) => {
      const a = await getApproval(sentrikProject(req, 'viewer').id, req.params.id);
      return { id: a.id, status: a.status, expires_at: a.expiresAt, decided_by: a.decidedBy };
    },
  );

  app.patch(
    '/api/approvals/:id',
    {
      config: write,
      schema: {
        tags,
        summary:
          'Approve or reject (governance role); an approval covers its findings until it expires',
        params: idParam,
        body: z.object({
          status: z.enum(['approved', 'rejected']).optional(),
          decision: z.enum(['approved', 'rejected', 'approve', 'reject']).optional(),
          comment: z.string().max(2000).optional(),
        }),
      },
    },
    async (req) => {
      const project = sentrikProject(req, 'viewer');
      const raw = req.body.status ?? req.body.decision;
      if (!raw)
        throw new AppError('validation_failed', 'say status: approved or rejected', [
          { path: 'status', message: 'required' },
        ]);
      const decision = raw.startsWith('approve') ? 'approved' : 'rejected';
      const a = await scanParts(deps).admin.decide(project.id, req.principal!, req.params.id, {
        decision,
        ...(req.body.comment ? { comment: req.body.comment } : {}),
      });
      return approvalView(a);
    },
  );
};
