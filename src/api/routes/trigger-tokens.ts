import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { triggerTokenScopes, type TriggerToken } from '../../store/trigger-tokens.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { futureTimestamp } from './api-keys.ts';

const triggerTokenDto = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('First characters of the token, to tell tokens apart'),
    scopes: z
      .array(z.enum(triggerTokenScopes))
      .describe('trigger: trigger endpoints; scan: the scan gate'),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'TriggerToken' });

const createdTokenDto = triggerTokenDto
  .extend({
    token: z
      .string()
      .describe('The token itself: shown only in this response, store it as a CI secret'),
  })
  .meta({ id: 'CreatedTriggerToken' });

const toDto = (t: TriggerToken): z.output<typeof triggerTokenDto> => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  scopes: t.scopes,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
});

const params = z.object({ id: projectIdParam });
const tags = ['trigger tokens'];

/**
 * Project trigger tokens (inside the project scope, which already checked the caller: a user of
 * the project's workspace, editor to change, viewer to list; trigger tokens themselves get 403).
 */
export const triggerTokenRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.post(
    '/trigger-tokens',
    {
      schema: {
        tags,
        summary: 'Create a trigger token for CI (the token is shown only in this response)',
        params,
        body: z
          .strictObject({
            name: z.string().trim().min(1).max(100).default('CI'),
            expiresAt: futureTimestamp.optional(),
            scopes: z
              .array(z.enum(triggerTokenScopes))
              .min(1)
              .max(2)
              .optional()
              .describe('Default ["trigger"]; ["trigger","scan"] also opens the scan gate'),
          })
          .default({ name: 'CI' }),
        response: { 201: createdTokenDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const user = requireUser(req, 'editor');
      const { token, record } = await store.triggerTokens.create(projectOf(req).id, {
        name: req.body.name,
        expiresAt: req.body.expiresAt ?? null,
        createdBy: user.userId,
        ...(req.body.scopes ? { scopes: [...new Set(req.body.scopes)] } : {}),
      });
      return reply.code(201).send({ ...toDto(record), token });
    },
  );

  app.get(
    '/trigger-tokens',
    {
      schema: {
        tags,
        summary: "List the project's trigger tokens (never the tokens themselves)",
        params,
        response: {
          200: z.object({ items: z.array(triggerTokenDto) }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => ({ items: (await store.triggerTokens.list(projectOf(req).id)).map(toDto) }),
  );

  app.delete(
    '/trigger-tokens/:tid',
    {
      schema: {
        tags,
        summary: 'Revoke a trigger token (deleted at once; pipelines using it get 401)',
        params: params.extend({ tid: z.string().min(1) }),
        response: { 204: z.undefined(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await store.triggerTokens.revoke(projectOf(req).id, req.params.tid))) {
        throw notFound('trigger token');
      }
      return reply.code(204).send();
    },
  );
};
