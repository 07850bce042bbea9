import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { checkChannelTarget, maskedChannel } from '../../integrations/notifications.ts';
import { isMaskedUrl } from '../../integrations/notify-webhook.ts';
import {
  notificationEvents,
  notificationTypes,
  type ChannelTarget,
  type NotificationChannel,
} from '../../store/notification-channels.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { defined } from '../../domain/defined.ts';

const tags = ['notifications'];
const timestamp = z.string().describe('ISO 8601 timestamp');
const projectParams = z.object({ id: projectIdParam });
const itemParams = z.object({ id: projectIdParam, channelId: z.string().min(1).max(200) });

const webhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((u) => !isMaskedUrl(u), {
    message: 'this is the masked URL a GET returns: send the full URL, or leave config out',
  });

const slackConfig = z.strictObject({
  webhookUrl: webhookUrl.describe('Incoming-webhook URL (https://hooks.slack.com/services/…)'),
});
const teamsConfig = z.strictObject({
  webhookUrl: webhookUrl.describe('Teams incoming-webhook or Workflows webhook URL'),
});
const hookConfig = z.strictObject({
  url: webhookUrl.describe('Receiver URL; bodies are signed like callbacks'),
});
const emailConfig = z.strictObject({
  to: z
    .array(z.email())
    .min(1)
    .max(50)
    .refine((a) => new Set(a.map((x) => x.toLowerCase())).size === a.length, 'duplicate address')
    .describe('Recipients'),
});

const events = z
  .array(z.enum(notificationEvents))
  .min(1)
  .refine((a) => new Set(a).size === a.length, 'duplicate event')
  .describe(
    'run.failed (failed or errored), run.recovered (passed after a failed run), ' +
      'flaky.detected (a test passed on a retry), run.finished (every run)',
  );
const common = {
  name: z.string().trim().min(1).max(100),
  events,
  enabled: z.boolean().default(true),
};

const createBody = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('slack'), config: slackConfig, ...common }),
  z.strictObject({ type: z.literal('teams'), config: teamsConfig, ...common }),
  z.strictObject({ type: z.literal('webhook'), config: hookConfig, ...common }),
  z.strictObject({ type: z.literal('email'), config: emailConfig, ...common }),
]);

const patchBody = z.strictObject({
  name: common.name.optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
  config: z
    .unknown()
    .optional()
    .describe("New config for the channel's type (the type itself cannot change)"),
});

const configByType = {
  slack: slackConfig,
  teams: teamsConfig,
  webhook: hookConfig,
  email: emailConfig,
} as const;

const channelDto = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(notificationTypes),
    events: z.array(z.enum(notificationEvents)),
    enabled: z.boolean(),
    config: z
      .record(z.string(), z.unknown())
      .describe('Per type; webhook URLs are masked (origin and last 4 characters only)'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'NotificationChannel' });

function toChannelDto(c: NotificationChannel): z.input<typeof channelDto> {
  const m = maskedChannel(c);
  return {
    id: m.id,
    name: m.name,
    type: m.type,
    events: m.events,
    enabled: m.enabled,
    config: { ...m.config },
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

/** Per-project notification channels: Slack, Teams, a signed webhook or e-mail, with event filters. */
export const notificationRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config } = deps;

  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: "List the project's notification channels",
        params: projectParams,
        response: {
          200: z.object({ items: z.array(channelDto) }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => {
      const items = await store.notificationChannels.list(projectOf(req).id);
      return { items: items.map(toChannelDto) };
    },
  );

  app.post(
    '/notifications',
    {
      schema: {
        tags,
        summary: 'Add a notification channel',
        params: projectParams,
        body: createBody,
        response: { 201: channelDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const target = { type: b.type, config: b.config } as ChannelTarget;
      await checkChannelTarget(target, config);
      const c = await store.notificationChannels.create(projectOf(req).id, {
        name: b.name,
        events: b.events,
        enabled: b.enabled,
        target,
      });
      return reply.code(201).send(toChannelDto(c));
    },
  );

  app.get(
    '/notifications/:channelId',
    {
      schema: {
        tags,
        summary: 'A notification channel',
        params: itemParams,
        response: { 200: channelDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const c = await store.notificationChannels.get(projectOf(req).id, req.params.channelId);
      if (!c) throw notFound('notification channel');
      return toChannelDto(c);
    },
  );

  app.patch(
    '/notifications/:channelId',
    {
      schema: {
        tags,
        summary: 'Change a channel (name, events, enabled, config of the same type)',
        params: itemParams,
        body: patchBody,
        response: { 200: channelDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const projectId = projectOf(req).id;
      const existing = await store.notificationChannels.get(projectId, req.params.channelId);
      if (!existing) throw notFound('notification channel');
      const { config: rawConfig, ...rest } = req.body;
      let newConfig: ChannelTarget['config'] | undefined;
      if (rawConfig !== undefined) {
        const parsed = configByType[existing.type].safeParse(rawConfig);
        if (!parsed.success) {
          throw new AppError(
            'validation_failed',
            `config does not fit a ${existing.type} channel`,
            parsed.error.issues.map((i) => ({
              path: ['body', 'config', ...i.path.map(String)].join('.'),
              message: i.message,
            })),
          );
        }
        newConfig = parsed.data;
        await checkChannelTarget(
          { type: existing.type, config: newConfig } as ChannelTarget,
          config,
        );
      }
      const c = await store.notificationChannels.update(
        projectId,
        existing.id,
        defined({
          name: rest.name,
          events: rest.events,
          enabled: rest.enabled,
          config: newConfig,
        }),
      );
      if (!c) throw notFound('notification channel');
      return toChannelDto(c);
    },
  );

  app.delete(
    '/notifications/:channelId',
    {
      schema: {
        tags,
        summary: 'Remove a channel (messages still queued for it are given up)',
        params: itemParams,
        response: { 204: z.undefined(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      const ok = await store.notificationChannels.delete(projectOf(req).id, req.params.channelId);
      if (!ok) throw notFound('notification channel');
      return reply.code(204).send();
    },
  );
};
