import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { redeliver } from '../../integrations/callbacks.ts';
import { generateCallbackSecret, secretPrefix } from '../../integrations/sign.ts';
import { deliveryStatuses, type Delivery, type DeliveryAttempt } from '../../store/outbox.ts';
import type { RouteOptions } from '../app.ts';
import { pageOf, pageQuery } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['callbacks'];
const timestamp = z.string().describe('ISO 8601 timestamp');
const projectParams = z.object({ id: projectIdParam });
const itemParams = z.object({ id: projectIdParam, deliveryId: z.string().min(1).max(200) });
const listQuery = z.object({
  runId: z.string().min(1).max(200).optional(),
  status: z.enum(deliveryStatuses).optional(),
  ...pageQuery,
});

const attemptDto = z
  .object({
    attempt: z.number().int(),
    startedAt: timestamp,
    durationMs: z.number().int(),
    statusCode: z.number().int().nullable().describe('HTTP status of the answer; null if none'),
    error: z.string().nullable().describe('Why the attempt failed (status, refused, timeout)'),
  })
  .meta({ id: 'DeliveryAttempt' });

const deliveryDto = z
  .object({
    id: z.string(),
    runId: z.string(),
    url: z.string().describe('Callback URL; query values are masked'),
    event: z.string(),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    nextAttemptAt: timestamp.nullable().describe('When the next attempt is due (pending only)'),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    redeliveryOf: z.string().nullable(),
    payload: z
      .unknown()
      .describe('The JSON body sent: { runId, status, passed, failed, total, error }'),
    createdAt: timestamp,
    deliveredAt: timestamp.nullable(),
  })
  .meta({ id: 'Delivery' });

const deliveryDetailDto = deliveryDto
  .extend({ attemptLog: z.array(attemptDto) })
  .meta({ id: 'DeliveryDetail' });

const secretStateDto = z
  .object({
    exists: z.boolean(),
    prefix: z.string().nullable().describe('First characters, to tell secrets apart'),
    createdAt: timestamp.nullable(),
    rotatedAt: timestamp.nullable(),
  })
  .meta({ id: 'CallbackSecretState' });

const newSecretDto = z
  .object({
    secret: z.string().describe('Shown once: store it where the receiver can read it'),
    prefix: z.string(),
    rotatedAt: timestamp,
  })
  .meta({ id: 'CallbackSecret' });

/** Query values can carry a receiver's own token: they are not shown back. */
function maskedUrl(raw: string): string {
  try {
    const u = new URL(raw);
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, '***');
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return raw;
  }
}

function toDeliveryDto(d: Delivery): z.input<typeof deliveryDto> {
  let payload: unknown = d.payload;
  try {
    payload = JSON.parse(d.payload);
  } catch {
    // stored as sent; shown as text when it is not JSON
  }
  return {
    id: d.id,
    runId: d.runId,
    url: maskedUrl(d.url),
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    redeliveryOf: d.redeliveryOf,
    payload,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
  };
}

const toAttemptDto = (a: DeliveryAttempt): z.input<typeof attemptDto> => ({
  ...a,
  durationMs: Math.round(a.durationMs),
});

/** The delivery log of a project's callbacks, redelivery, and the signing secret. */
export const deliveryRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '/deliveries',
    {
      schema: {
        tags,
        summary: 'List callback deliveries, newest first',
        params: projectParams,
        querystring: listQuery,
        response: { 200: pageOf(deliveryDto), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await store.outbox.list(projectOf(req).id, q);
      return { items: page.items.map(toDeliveryDto), total: page.total, ...q };
    },
  );

  app.get(
    '/deliveries/:deliveryId',
    {
      schema: {
        tags,
        summary: 'A delivery with every attempt (status codes and errors)',
        params: itemParams,
        response: { 200: deliveryDetailDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const d = await store.outbox.get(projectOf(req).id, req.params.deliveryId);
      if (!d) throw notFound('delivery');
      const attempts = await store.outbox.attempts(d.id);
      return { ...toDeliveryDto(d), attemptLog: attempts.map(toAttemptDto) };
    },
  );

  app.post(
    '/deliveries/:deliveryId/redeliver',
    {
      config: { scope: 'runs:trigger' },
      schema: {
        tags,
        summary: 'Send a delivery again (a new delivery with the same payload)',
        params: itemParams,
        response: { 202: deliveryDto, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      // Queued in the outbox: the running dispatcher picks it up on its next look (≤ 1 s).
      const copy = await redeliver(store, project.id, req.params.deliveryId);
      return reply.code(202).send(toDeliveryDto(copy));
    },
  );

  app.get(
    '/callback-secret',
    {
      schema: {
        tags,
        summary: 'Whether the project has a callback signing secret, and its prefix',
        params: projectParams,
        response: { 200: secretStateDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const s = await store.projectSecrets.get(projectOf(req).id);
      return {
        exists: s !== undefined,
        prefix: s ? secretPrefix(s.secret) : null,
        createdAt: s?.createdAt ?? null,
        rotatedAt: s?.rotatedAt ?? null,
      };
    },
  );

  app.post(
    '/callback-secret/rotate',
    {
      config: { role: 'editor', scope: 'admin' },
      schema: {
        tags,
        summary: 'Replace the callback signing secret; the new one is shown only in this answer',
        params: projectParams,
        response: { 200: newSecretDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      const s = await store.projectSecrets.rotate(projectOf(req).id, generateCallbackSecret());
      reply.header('cache-control', 'no-store');
      return {
        secret: s.secret,
        prefix: secretPrefix(s.secret),
        rotatedAt: s.rotatedAt ?? s.createdAt,
      };
    },
  );
};
