import { z } from 'zod';
import { startSchemaWebhook, type SchemaWebhook } from './schema-webhook.ts';

// Slack's incoming-webhook message payload with Block Kit blocks, as documented at
// https://api.slack.com/messaging/webhooks and https://api.slack.com/reference/block-kit/blocks
// (composition objects: https://api.slack.com/reference/block-kit/composition-objects; button:
// https://api.slack.com/reference/block-kit/block-elements#button). Field names and length limits
// are the documented ones; objects are strict so a misspelt field fails like Slack's
// `invalid_blocks` answer would.

const plainText = (max: number) =>
  z.strictObject({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });
const mrkdwn = (max: number) =>
  z.strictObject({
    type: z.literal('mrkdwn'),
    text: z.string().min(1).max(max),
    verbatim: z.boolean().optional(),
  });
const textObject = (max: number) => z.union([plainText(max), mrkdwn(max)]);
const blockId = z.string().max(255).optional();

const button = z.strictObject({
  type: z.literal('button'),
  text: plainText(75),
  action_id: z.string().max(255).optional(),
  url: z.url().max(3000).optional(),
  value: z.string().max(2000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
  accessibility_label: z.string().max(75).optional(),
});
const image = z.strictObject({
  type: z.literal('image'),
  image_url: z.url(),
  alt_text: z.string(),
});

/** The blocks a notification may use: header, section, context, actions, divider. */
export const slackBlockSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: plainText(150), block_id: blockId }),
  z
    .strictObject({
      type: z.literal('section'),
      text: textObject(3000).optional(),
      fields: z.array(textObject(2000)).max(10).optional(),
      accessory: button.optional(),
      block_id: blockId,
    })
    .refine((s) => s.text !== undefined || s.fields !== undefined, 'section needs text or fields'),
  z.strictObject({
    type: z.literal('context'),
    elements: z
      .array(z.union([textObject(3000), image]))
      .min(1)
      .max(10),
    block_id: blockId,
  }),
  z.strictObject({
    type: z.literal('actions'),
    elements: z.array(button).min(1).max(25),
    block_id: blockId,
  }),
  z.strictObject({ type: z.literal('divider'), block_id: blockId }),
]);

/** A message: `text` is the notification/fallback text; up to 50 blocks. */
export const slackMessageSchema = z.strictObject({
  text: z.string().min(1).max(40_000),
  blocks: z.array(slackBlockSchema).min(1).max(50),
  username: z.string().optional(),
  icon_emoji: z.string().optional(),
});
export type SlackMessageShape = z.infer<typeof slackMessageSchema>;

export type FakeSlack = SchemaWebhook<SlackMessageShape>;

/**
 * A local Slack incoming webhook: answers 200 `ok` to a valid message and 400 `invalid_blocks`
 * (Slack's own answer) otherwise, and keeps both for the test to look at.
 */
export function startFakeSlack(port = 0): Promise<FakeSlack> {
  return startSchemaWebhook(
    slackMessageSchema,
    { ok: 'ok', rejected: () => 'invalid_blocks', requireJson: true },
    port,
  );
}
