import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { scopes } from '../../domain/principal.ts';
import type { ApiKey } from '../../store/api-keys.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';

const apiKeyDto = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('First characters of the key, to tell keys apart'),
    scopes: z.array(z.enum(scopes)),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

const createdKeyDto = apiKeyDto
  .extend({ key: z.string().describe('The key itself: shown only in this response') })
  .meta({ id: 'CreatedApiKey' });

const toDto = (k: ApiKey): z.output<typeof apiKeyDto> => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
});

/** A future ISO timestamp (expiry of a key or token). */
export const futureTimestamp = z.iso
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
  .transform((v) => new Date(v).toISOString());

const tags = ['auth'];

/** Personal API keys: create (secret shown once), list, revoke. */
export const apiKeyRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.post(
    '/auth/api-keys',
    {
      schema: {
        tags,
        summary: 'Create a personal API key (the key is shown only in this response)',
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(z.enum(scopes)).min(1).max(scopes.length),
          expiresAt: futureTimestamp.optional(),
        }),
        response: { 201: createdKeyDto, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const p = requireUser(req, 'viewer');
      // A key may not mint a key: scopes could only grow that way.
      if (p.via === 'api_key' && !p.scopes?.includes('admin')) {
        throw new AppError('forbidden', 'Creating API keys needs a session or an admin-scope key.');
      }
      const { token, record } = await store.apiKeys.create({
        userId: p.userId,
        workspaceId: p.workspaceId,
        name: req.body.name,
        scopes: [...new Set(req.body.scopes)],
        expiresAt: req.body.expiresAt ?? null,
      });
      return reply.code(201).send({ ...toDto(record), key: token });
    },
  );

  app.get(
    '/auth/api-keys',
    {
      schema: {
        tags,
        summary: "The caller's API keys (never the keys themselves)",
        response: { 200: z.object({ items: z.array(apiKeyDto) }), ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'viewer');
      return { items: (await store.apiKeys.listForUser(p.userId)).map(toDto) };
    },
  );

  app.delete(
    '/auth/api-keys/:keyId',
    {
      schema: {
        tags,
        summary: 'Revoke one of your API keys',
        params: z.object({ keyId: z.string().min(1) }),
        response: { 204: z.undefined(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      const p = requireUser(req, 'viewer');
      if (!(await store.apiKeys.revoke(p.userId, req.params.keyId))) throw notFound('API key');
      return reply.code(204).send();
    },
  );
};
