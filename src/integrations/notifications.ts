import { pino, type Logger } from 'pino';
import pkg from '../../package.json' with { type: 'json' };
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { isTerminal, type Run } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { ChannelTarget, NotificationChannel } from '../store/notification-channels.ts';
import type { Delivery } from '../store/outbox.ts';
import { emailMessage, sendEmail, type EmailPayload } from './notify-email.ts';
import {
  buildMessage,
  eventForChannel,
  eventsOfRun,
  type NotificationMessage,
} from './notify-message.ts';
import { slackMessage } from './notify-slack.ts';
import { teamsMessage } from './notify-teams.ts';
import { maskWebhookUrl, webhookPayload } from './notify-webhook.ts';
import {
  judgeStatus,
  type AttemptResult,
  type DeliveryKindHandler,
  type SendContext,
} from './outbox.ts';
import { generateCallbackSecret, signatureHeaders, signedHeaders } from './sign.ts';
import { assertPublicUrl, resolvePublicTarget, type LookupAll } from './ssrf.ts';
import { runPageUrl } from '../domain/run-page.ts';

export type NotifierConfig = Pick<
  Config,
  'allowPrivateUrls' | 'publicUrl' | 'host' | 'port' | 'smtpUrl' | 'smtpFrom'
>;

export interface NotifierOptions {
  store: Store;
  config: NotifierConfig;
  logger?: Logger;
  /** Clock for signature timestamps. */
  clock?: () => Date;
  /** Finished runs looked at per sweep (default 100). */
  sweepBatch?: number;
}

/**
 * Project notifications through the callbacks' durable outbox: when a run finishes, work out
 * which events it raises (failed, recovered, flaky, finished) and enqueue one message per
 * matching channel, in the transaction that reads the run and marks it evaluated; the callback
 * dispatcher then leases the rows (kind `notification`), and calls `send` with its retries,
 * backoff and attempt log. Hand an instance to `new CallbackDispatcher({ kinds: [notifier] })`.
 */
export class Notifier implements DeliveryKindHandler {
  readonly kind = 'notification' as const;
  readonly #store: Store;
  readonly #config: NotifierConfig;
  readonly #logger: Logger;
  readonly #clock: () => Date;
  readonly #batch: number;

  constructor(o: NotifierOptions) {
    this.#store = o.store;
    this.#config = o.config;
    this.#logger = o.logger ?? pino({ level: 'silent' });
    this.#clock = o.clock ?? (() => new Date());
    this.#batch = o.sweepBatch ?? 100;
  }

  /** Enqueue the run's messages unless it was evaluated already; how many were enqueued. */
  async enqueueForRun(runId: string): Promise<number> {
    return this.#store.transaction(async (tx) => {
      const run = await tx.runs.get(null, runId);
      if (!run || !isTerminal(run.status) || !run.finishedAt) return 0;
      const finishedAt = run.finishedAt;
      const channels = (await tx.notificationChannels.list(run.projectId)).filter(
        (c) => c.createdAt <= finishedAt,
      );
      // Projects without channels leave no marker: nothing would ever read it.
      if (channels.length === 0) return 0;
      const repo = tx.notificationChannels;
      const previous = await repo.previousVerdict(run.projectId, run.id, finishedAt);
      const flaky = await repo.flakyTests(run.id);
      const applies = eventsOfRun(run, previous, flaky);
      if (!(await repo.markEvaluated(run.id, run.projectId, applies))) return 0;
      const project = await tx.projects.get(run.projectId);
      if (!project) return 0;
      const results = await tx.results.listByRun(run.id);
      let n = 0;
      for (const c of channels) {
        const event = c.enabled ? eventForChannel(applies, c.events) : null;
        if (!event) continue;
        const message = buildMessage({
          event,
          project: { id: project.id, slug: project.slug, name: project.name },
          run,
          results,
          flaky,
          runUrl: this.runUrl(run),
        });
        const d = await tx.outbox.enqueue({
          projectId: run.projectId,
          runId: run.id,
          callbackId: `notify:${c.id}:${run.id}`,
          url: displayTarget(c),
          event,
          payload: renderPayload(c, message),
          kind: 'notification',
          channelId: c.id,
        });
        if (d) n++;
      }
      this.#logger.debug({ runId, events: applies, enqueued: n }, 'notifications evaluated');
      return n;
    });
  }

  /** Evaluate finished runs a crash (or a stop between finish and enqueue) left behind. */
  async sweep(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const ids = await this.#store.notificationChannels.runsAwaitingEvaluation(this.#batch);
      for (const id of ids) await this.enqueueForRun(id);
      if (ids.length < this.#batch) return;
    }
  }

  /** One attempt at a notification delivery (the dispatcher records it and schedules retries). */
  async send(d: Delivery, ctx: SendContext): Promise<AttemptResult> {
    const channel = d.channelId
      ? await this.#store.notificationChannels.byId(d.channelId)
      : undefined;
    if (!channel || channel.projectId !== d.projectId) {
      throw new AppError('not_found', 'the notification channel was deleted');
    }
    if (!channel.enabled) throw new AppError('conflict', 'the notification channel is disabled');
    const lookup = ctx.lookup ? { lookup: ctx.lookup } : {};
    switch (channel.type) {
      case 'email':
        return sendEmail(this.#config, JSON.parse(d.payload) as EmailPayload, {
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
          deliveryId: d.id,
        });
      case 'slack':
      case 'teams':
        return this.#post(channel.config.webhookUrl, {}, d, ctx, lookup);
      case 'webhook': {
        const secret = await this.#store.projectSecrets.getOrCreate(
          d.projectId,
          generateCallbackSecret(),
        );
        const signed = {
          [signatureHeaders.event]: d.event,
          [signatureHeaders.delivery]: d.id,
          ...signedHeaders(secret.secret, d.payload, Math.floor(this.#clock().getTime() / 1000)),
        };
        return this.#post(channel.config.url, signed, d, ctx, lookup);
      }
    }
  }

  /** Link to the run's dashboard page in messages. */
  runUrl(run: Pick<Run, 'id' | 'projectId'>): string {
    const base =
      this.#config.publicUrl?.replace(/\/+$/, '') ??
      `http://${this.#config.host}:${this.#config.port}`;
    return runPageUrl(base, run);
  }

  async #post(
    url: string,
    extraHeaders: Record<string, string>,
    d: Delivery,
    ctx: SendContext,
    lookup: { lookup?: LookupAll },
  ): Promise<AttemptResult> {
    // Checked again at send time: DNS may have changed since the channel was saved.
    const target = await resolvePublicTarget(url, this.#config, {
      ...lookup,
      purpose: 'webhook URL',
    });
    const res = await ctx.post({
      target,
      headers: {
        'content-type': 'application/json',
        'user-agent': `Greenlight-Notification/${pkg.version}`,
        ...extraHeaders,
      },
      body: d.payload,
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
    });
    const verdict = judgeStatus(res.status);
    const error = verdict === 'delivered' ? null : `receiver answered HTTP ${res.status}`;
    return { statusCode: res.status, verdict, error };
  }
}

/** The body a channel is sent, in its service's documented format. */
function renderPayload(c: ChannelTarget, m: NotificationMessage): string {
  switch (c.type) {
    case 'slack':
      return JSON.stringify(slackMessage(m));
    case 'teams':
      return JSON.stringify(teamsMessage(m));
    case 'webhook':
      return JSON.stringify(webhookPayload(m));
    case 'email':
      return JSON.stringify(emailMessage(m, c.config.to));
  }
}

/** What the delivery log shows as the target: never a webhook URL's secret path. */
function displayTarget(c: ChannelTarget): string {
  switch (c.type) {
    case 'slack':
    case 'teams':
      return maskWebhookUrl(c.config.webhookUrl);
    case 'webhook':
      return maskWebhookUrl(c.config.url);
    case 'email':
      return `mailto:${c.config.to.join(',')}`;
  }
}

/**
 * Refuse a channel that could never deliver: a webhook URL that is not public (SSRF guard) or
 * e-mail without an SMTP server. Throws AppError('validation_failed').
 */
export async function checkChannelTarget(
  c: ChannelTarget,
  config: NotifierConfig,
  opts: { lookup?: LookupAll } = {},
): Promise<void> {
  const checkUrl = async (url: string, field: string): Promise<void> => {
    try {
      await assertPublicUrl(url, config, { ...opts, purpose: 'webhook URL' });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      const message = e.message;
      throw new AppError(e.code, message, [{ path: `body.${field}`, message }]);
    }
  };
  switch (c.type) {
    case 'slack':
    case 'teams':
      return checkUrl(c.config.webhookUrl, 'config.webhookUrl');
    case 'webhook':
      return checkUrl(c.config.url, 'config.url');
    case 'email':
      if (!config.smtpUrl) {
        throw new AppError(
          'validation_failed',
          'e-mail channels need an SMTP server: set GREENLIGHT_SMTP_URL (and GREENLIGHT_SMTP_FROM)',
        );
      }
  }
}

/** A channel with its secrets masked, as the API returns it. */
export function maskedChannel(c: NotificationChannel): NotificationChannel {
  switch (c.type) {
    case 'slack':
    case 'teams':
      return { ...c, config: { webhookUrl: maskWebhookUrl(c.config.webhookUrl) } };
    case 'webhook':
      return { ...c, config: { url: maskWebhookUrl(c.config.url) } };
    case 'email':
      return c;
  }
}
