import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  concurrencyPolicies,
  parallelWorkersSchema,
  slugify,
  slugPattern,
} from '../../domain/project.ts';
import { retriesSchema } from '../../domain/run-options.ts';
import type { Config } from '../../config.ts';
import { assertPublicUrl } from '../../integrations/ssrf.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { projectDto, toProjectDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

/** An absolute http(s) URL: the site under test. */
export const baseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
  .max(2000);

/**
 * Refuse a saved base URL that points at loopback, a private network or cloud metadata unless
 * GREENLIGHT_ALLOW_PRIVATE_URLS allows it (400 naming the "base URL"). Runs are guarded again at
 * every connection (browser/egress-proxy); this tells the editor at once instead of at the first
 * run. A host without a DNS record yet is accepted: preview deployments are named before they exist.
 */
export async function checkBaseUrl(url: string | null | undefined, config: Config): Promise<void> {
  if (url === null || url === undefined) return;
  await assertPublicUrl(url, config, { purpose: 'base URL', allowUnresolved: true });
}

const slugSchema = z
  .string()
  .regex(slugPattern, 'lower-case letters, digits and dashes, at most 64 characters');

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  slug: slugSchema.optional().describe('Defaults to a slug of the name'),
  baseUrl: baseUrlSchema,
  parallelWorkers: parallelWorkersSchema.optional(),
});

const patchBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  slug: slugSchema.optional(),
  baseUrl: baseUrlSchema.optional(),
  parallelWorkers: parallelWorkersSchema.optional(),
  retries: retriesSchema.optional().describe('Default extra attempts of a failing test in a run'),
  failOnFlaky: z.boolean().optional().describe('Default: a flaky test fails the run'),
  concurrencyPolicy: z
    .enum(concurrencyPolicies)
    .optional()
    .describe('What triggers that name no policy do while a run of their key is going'),
  healing: z
    .boolean()
    .optional()
    .describe('Default: runs heal locators that find nothing (false: such a step fails)'),
  statusContext: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII')
    .nullable()
    .optional()
    .describe(
      'Commit-status context of its runs (GitHub status context, GitLab status name); null: greenlight/<slug>',
    ),
});

/** POST /projects and GET /projects. */
export const projectRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.post(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Create a project',
        body: createBody,
        response: { 201: projectDto, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const caller = requireUser(req, 'editor', 'tests:write');
      await checkBaseUrl(req.body.baseUrl, deps.config);
      // A taken slug is a 409 from the store (unique index), not a check-then-insert race here.
      const project = await store.projects.create({
        slug: req.body.slug ?? slugify(req.body.name),
        name: req.body.name,
        baseUrl: req.body.baseUrl,
        workspaceId: caller.workspaceId,
        ...(req.body.parallelWorkers !== undefined
          ? { parallelWorkers: req.body.parallelWorkers }
          : {}),
      });
      return reply.code(201).send(toProjectDto(project));
    },
  );

  app.get(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: "List the projects of the caller's workspace",
        response: { 200: z.object({ items: z.array(projectDto) }), ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const caller = requireUser(req, 'viewer', 'runs:read');
      return { items: (await store.projects.list(caller.workspaceId)).map(toProjectDto) };
    },
  );
};

const params = z.object({ id: projectIdParam });

/** GET, PATCH and DELETE /projects/:id (inside the project scope). */
export const projectItemRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '',
    {
      schema: {
        tags: ['projects'],
        summary: 'Get a project',
        params,
        response: { 200: projectDto, ...errorResponses(404) },
      },
    },
    async (req) => toProjectDto(projectOf(req)),
  );

  app.patch(
    '',
    {
      schema: {
        tags: ['projects'],
        summary: 'Change a project',
        params,
        body: patchBody,
        response: { 200: projectDto, ...errorResponses(400, 404, 409) },
      },
    },
    async (req) => {
      const project = projectOf(req);
      await checkBaseUrl(req.body.baseUrl, deps.config);
      const patch = Object.fromEntries(
        Object.entries(req.body).filter(([, v]) => v !== undefined),
      ) as typeof req.body;
      return toProjectDto(await store.projects.update(project.id, patch));
    },
  );

  app.delete(
    '',
    {
      config: { role: 'admin', scope: 'admin' },
      schema: {
        tags: ['projects'],
        summary:
          'Delete a project (soft delete: it goes to the recycle bin, hidden from every route; its trigger tokens are hard-deleted)',
        params,
        response: { 204: z.undefined(), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      await store.projects.softDelete(projectOf(req).id, {
        ...(p?.kind === 'user' ? { actor: p.email } : {}),
      });
      return reply.code(204).send();
    },
  );
};
