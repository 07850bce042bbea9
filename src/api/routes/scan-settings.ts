import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { approvalView } from '../../engine/scan-admin.ts';
import { governanceSchema } from '../../engine/scan-governance.ts';
import { scanConfigSchema, suppressionSchema } from '../../scan/scan-config.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { scanParts } from '../scan-http.ts';

const tags = ['scan settings'];
const params = z.object({ id: projectIdParam });
const packParams = params.extend({ packId: z.string().min(1).max(63) });
const read = { auth: 'scan' as const, role: 'viewer' as const };
const write = { auth: 'scan' as const };
const anyJson = z.record(z.string(), z.unknown());

/**
 * A project's scan settings under `/projects/:id`: config and governance, packs (import/export
 * YAML, overrides), suppressions, approvals and the audit log. Every change is audited.
 */
export const scanSettingsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;
  const admin = () => scanParts(deps).admin;

  app.get(
    '/scan-config',
    {
      config: read,
      schema: { tags, summary: 'Stored scan config, governance and the effective config', params },
    },
    async (req) => {
      const c = await admin().config(projectOf(req).id);
      return {
        config: c.config,
        governance: c.governance,
        effective: { ...c.effective, rules: c.effective.rules.map((r) => r.id) },
      };
    },
  );

  app.put(
    '/scan-config',
    {
      config: { ...write, role: 'admin' as const },
      schema: {
        tags,
        summary: 'Replace the scan config and/or governance (admin)',
        params,
        body: z.strictObject({
          config: scanConfigSchema.optional(),
          governance: governanceSchema.partial().optional(),
        }),
        response: { 204: z.null(), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await admin().updateConfig(projectOf(req).id, req.principal!, req.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/scan-packs',
    { config: read, schema: { tags, summary: 'Shipped and custom packs', params } },
    async (req) => ({
      packs: await admin().packs(projectOf(req).id),
    }),
  );

  app.post(
    '/scan-packs',
    {
      config: write,
      schema: {
        tags,
        summary: 'Create or replace a custom pack from YAML ({ yaml }) or JSON ({ pack })',
        params,
        body: z.strictObject({
          yaml: z.string().max(2_000_000).optional(),
          pack: anyJson.optional(),
        }),
      },
    },
    async (req, reply) => {
      const pack = await admin().savePack(projectOf(req).id, req.principal!, req.body);
      return reply.code(201).send({ id: pack.id, name: pack.name, rules: pack.rules.length });
    },
  );

  app.delete(
    '/scan-packs/:packId',
    { config: write, schema: { tags, summary: 'Delete a custom pack', params: packParams } },
    async (req, reply) => {
      await admin().deletePack(projectOf(req).id, req.principal!, req.params.packId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/scan-packs/:packId/export',
    { config: read, schema: { tags, summary: 'A pack as YAML', params: packParams } },
    async (req, reply) =>
      reply
        .type('application/yaml; charset=utf-8')
        .send(await admin().exportPack(projectOf(req).id, req.params.packId)),
  );

  app.put(
    '/scan-packs/:packId/overrides',
    {
      config: write,
      schema: {
        tags,
        summary: 'Set rule overrides of a pack { RULE: { enabled, severity } }',
        params: packParams,
        body: anyJson,
      },
    },
    async (req, reply) => {
      await admin().setOverrides(projectOf(req).id, req.principal!, req.params.packId, req.body);
      return reply.code(204).send();
    },
  );

  app.get(
    '/scan-suppressions',
    {
      config: read,
      schema: { tags, summary: 'Recorded suppressions (active and expired)', params },
    },
    async (req) => ({
      suppressions: await admin().suppressions(projectOf(req).id),
    }),
  );

  app.post(
    '/scan-suppressions',
    {
      config: write,
      schema: {
        tags,
        summary: 'Record a suppression (you are the approver)',
        params,
        body: suppressionSchema.omit({ approver: true }),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await admin().addSuppression(projectOf(req).id, req.principal!, req.body)),
  );

  app.delete(
    '/scan-suppressions/:suppressionId',
    {
      config: write,
      schema: {
        tags,
        summary: 'Delete a suppression',
        params: params.extend({ suppressionId: z.string().max(100) }),
      },
    },
    async (req, reply) => {
      await admin().deleteSuppression(projectOf(req).id, req.principal!, req.params.suppressionId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/scan-approvals',
    {
      config: read,
      schema: {
        tags,
        summary: 'Approval requests of failed gates',
        params,
        querystring: z.object({ status: z.enum(['pending', 'approved', 'rejected']).optional() }),
      },
    },
    async (req) => ({
      approvals: (
        await store.scanApprovals.list(projectOf(req).id, {
          limit: 200,
          ...(req.query.status ? { status: req.query.status } : {}),
        })
      ).map((a) => approvalView(a)),
    }),
  );

  app.patch(
    '/scan-approvals/:approvalId',
    {
      config: { ...write, role: 'viewer' as const },
      schema: {
        tags,
        summary: 'Approve or reject (governance role decides who may)',
        params: params.extend({ approvalId: z.string().max(100) }),
        body: z.strictObject({
          status: z.enum(['approved', 'rejected']),
          comment: z.string().max(2000).optional(),
        }),
      },
    },
    async (req) => {
      const a = await admin().decide(projectOf(req).id, req.principal!, req.params.approvalId, {
        decision: req.body.status,
        ...(req.body.comment ? { comment: req.body.comment } : {}),
      });
      return approvalView(a);
    },
  );

  app.get(
    '/scan-audit',
    {
      config: read,
      schema: {
        tags,
        summary: 'The audit log and whether its hash chain verifies',
        params,
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0) }),
      },
    },
    async (req) => {
      const project = projectOf(req);
      const [entries, chain] = await Promise.all([
        store.scanAudit.list(project.id, { limit: 500, afterSeq: req.query.after }),
        store.scanAudit.verify(project.id),
      ]);
      if (!chain) throw notFound('audit');
      return { entries, chain };
    },
  );
};
