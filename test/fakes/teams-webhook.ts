import { z } from 'zod';
import { startSchemaWebhook, type SchemaWebhook } from './schema-webhook.ts';

// A Microsoft Teams incoming-webhook message carrying an Adaptive Card, as documented in
// "Send Adaptive Cards using an Incoming Webhook" (learn.microsoft.com/microsoftteams/platform/
// webhooks-and-connectors/how-to/add-incoming-webhook): `{ type: "message", attachments: [{
// contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: <card> }] }`.
// The card follows the Adaptive Cards schema (adaptivecards.io/explorer): `type: "AdaptiveCard"`,
// `version`, `body` of elements (TextBlock, FactSet, …), `actions` (Action.OpenUrl, …), and the
// Teams extension `msteams: { width: "Full" }`.

const textBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string().min(1),
  wrap: z.boolean().optional(),
  size: z.enum(['Small', 'Default', 'Medium', 'Large', 'ExtraLarge']).optional(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional(),
  isSubtle: z.boolean().optional(),
  spacing: z.string().optional(),
  separator: z.boolean().optional(),
});
const factSet = z.strictObject({
  type: z.literal('FactSet'),
  facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1),
});
const openUrl = z.strictObject({
  type: z.literal('Action.OpenUrl'),
  title: z.string().min(1),
  url: z.url(),
});

export const adaptiveCardSchema = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('AdaptiveCard'),
  version: z.string().regex(/^1\.[0-6]$/),
  body: z.array(z.discriminatedUnion('type', [textBlock, factSet])).min(1),
  actions: z.array(openUrl).optional(),
  msteams: z.strictObject({ width: z.enum(['Full']).optional() }).optional(),
});

export const teamsMessageSchema = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal('application/vnd.microsoft.card.adaptive'),
        contentUrl: z.string().nullable().optional(),
        content: adaptiveCardSchema,
      }),
    )
    .length(1),
});
export type TeamsMessageShape = z.infer<typeof teamsMessageSchema>;

export type FakeTeams = SchemaWebhook<TeamsMessageShape>;

/** A local Teams webhook: 200 for a valid card message, 400 with the problem otherwise. */
export function startFakeTeams(port = 0): Promise<FakeTeams> {
  return startSchemaWebhook(teamsMessageSchema, { ok: '1', rejected: (p) => p }, port);
}
