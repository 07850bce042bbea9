import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import type { Environment } from '../../domain/project.ts';
import { MASK } from '../../domain/variables.ts';
import type { EnvironmentInput } from '../../store/environments.ts';
import type { RouteOptions } from '../app.ts';
import { environmentDto, toEnvironmentDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { baseUrlSchema, checkBaseUrl } from './projects.ts';

const envName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . - (at most 63)')
  .describe('Environment name, e.g. staging');

// Same rule as `{{NAME}}` references in steps, so every variable can be used.
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _');
const varMap = z
  .record(varName, z.string().max(10_000))
  .refine((m) => Object.keys(m).length <= 200, {
    message: 'at most 200 variables',
  });

const putBody = z.strictObject({
  baseUrl: baseUrlSchema.nullable().optional().describe("Overrides the project's baseUrl"),
  variables: varMap.optional().describe('Plain variables; omitted means none'),
  secrets: varMap
    .optional()
    .describe(
      `Secret variables, never returned. Omitted: the stored secrets are kept. A value of "${MASK}" keeps that secret's stored value, so a GET response can be edited and sent back.`,
    ),
});
type PutBody = z.output<typeof putBody>;

/** Turn a PUT body into the stored form, resolving "keep" markers against what is stored. */
function environmentInput(name: string, body: PutBody, existing?: Environment): EnvironmentInput {
  const variables = body.variables ?? {};
  const stored = existing?.variables ?? {};
  let secrets: Record<string, string>;
  if (body.secrets === undefined) {
    secrets = Object.fromEntries(
      (existing?.secretNames ?? []).flatMap((n) =>
        stored[n] === undefined ? [] : [[n, stored[n]]],
      ),
    );
  } else {
    secrets = {};
    for (const [k, v] of Object.entries(body.secrets)) {
      const kept = v === MASK ? stored[k] : v;
      if (kept === undefined || (v === MASK && !existing?.secretNames.includes(k))) {
        throw new AppError('validation_failed', `secret ${k} has no stored value to keep`, [
          { path: `body.secrets.${k}`, message: `"${MASK}" keeps a stored secret; ${k} has none` },
        ]);
      }
      secrets[k] = kept;
    }
  }
  const both = Object.keys(variables).filter((k) => k in secrets);
  if (both.length > 0) {
    throw new AppError(
      'validation_failed',
      `${both.join(', ')} cannot be both variable and secret`,
      [...both.map((k) => ({ path: `body.variables.${k}`, message: 'also given as a secret' }))],
    );
  }
  return {
    name,
    baseUrl: body.baseUrl ?? null,
    variables: { ...variables, ...secrets },
    secretNames: Object.keys(secrets),
  };
}

const itemParams = z.object({ id: projectIdParam, name: envName });

/** Environments of a project: named targets with their own baseUrl, variables and secrets. */
export const environmentRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '/environments',
    {
      schema: {
        tags: ['environments'],
        summary: "List a project's environments",
        params: z.object({ id: projectIdParam }),
        response: { 200: z.object({ items: z.array(environmentDto) }), ...errorResponses(404) },
      },
    },
    async (req) => ({
      items: (await store.environments.list(projectOf(req).id)).map(toEnvironmentDto),
    }),
  );

  app.get(
    '/environments/:name',
    {
      schema: {
        tags: ['environments'],
        summary: 'Get an environment',
        params: itemParams,
        response: { 200: environmentDto, ...errorResponses(404) },
      },
    },
    async (req) => {
      const env = await store.environments.get(projectOf(req).id, req.params.name);
      if (!env) throw notFound('environment');
      return toEnvironmentDto(env);
    },
  );

  app.put(
    '/environments/:name',
    {
      schema: {
        tags: ['environments'],
        summary: 'Create or replace an environment',
        params: itemParams,
        body: putBody,
        response: {
          200: environmentDto,
          201: environmentDto,
          ...errorResponses(400, 404),
        },
      },
    },
    async (req, reply) => {
      const projectId = projectOf(req).id;
      const existing = await store.environments.get(projectId, req.params.name);
      const input = environmentInput(req.params.name, req.body, existing);
      await checkBaseUrl(input.baseUrl, deps.config);
      const env = await store.environments.upsert(projectId, input);
      return reply.code(existing ? 200 : 201).send(toEnvironmentDto(env));
    },
  );

  app.delete(
    '/environments/:name',
    {
      schema: {
        tags: ['environments'],
        summary: 'Delete an environment',
        params: itemParams,
        response: { 204: z.undefined(), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      if (!(await store.environments.delete(projectOf(req).id, req.params.name))) {
        throw notFound('environment');
      }
      return reply.code(204).send();
    },
  );
};
