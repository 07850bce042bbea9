import { pino, type Logger } from 'pino';
import pkg from '../../package.json' with { type: 'json' };
import type { Config } from '../config.ts';
import { ciSummaryOf } from '../domain/ci-status.ts';
import { AppError, notFound } from '../domain/errors.ts';
import { isTerminal } from '../domain/run.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';
import type { Delivery, DeliveryAttempt, DeliveryKind } from '../store/outbox.ts';
import {
  defaultRetryPolicy,
  type AttemptResult,
  type DeliveryKindHandler,
  judgeStatus,
  postPinned,
  retryDelayMs,
  type PostFn,
  type RetryPolicy,
  type StatusVerdict,
} from './outbox.ts';
import { generateCallbackSecret, signatureHeaders, signedHeaders } from './sign.ts';
import { resolvePublicTarget, type LookupAll } from './ssrf.ts';

/** The event name of a run's final summary (header X-Greenlight-Event). */
const RUN_FINISHED_EVENT = 'run.finished';

export interface CallbackDispatcherOptions {
  store: Store;
  events: EventBus;
  config: Pick<Config, 'allowPrivateUrls'>;
  logger?: Logger;
  clock?: () => Date;
  /** Sends one POST (default: node:http pinned to the validated address). */
  post?: PostFn;
  /** DNS for the SSRF guard (tests name hosts without real records). */
  lookup?: LookupAll;
  retry?: Partial<RetryPolicy>;
  /** Bound on one attempt, connect to last byte (default 10 s). */
  attemptTimeoutMs?: number;
  /** Longest sleep between looks at the outbox (default 1 s). */
  pollIntervalMs?: number;
  /** How often to look for finished runs whose callback was never enqueued (default 60 s). */
  sweepIntervalMs?: number;
  /** Deliveries in flight at once (default 4). */
  concurrency?: number;
  random?: () => number;
  /** Other kinds of delivery carried by the same outbox and loop (notifications). */
  kinds?: DeliveryKindHandler[];
}

/**
 * Delivers each finished run's CI summary to the URLs registered for it, from a durable outbox:
 * a delivery row is written when the run finishes (or, after a crash, at the next start), then
 * POSTed signed, retried with backoff, and every attempt is logged. Several processes may run
 * dispatchers on one database: an enqueue is unique per callback and attempts are leased.
 */
export class CallbackDispatcher {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #config: Pick<Config, 'allowPrivateUrls'>;
  readonly #logger: Logger;
  readonly #clock: () => Date;
  readonly #post: PostFn;
  readonly #lookup: LookupAll | undefined;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #sweepMs: number;
  readonly #concurrency: number;
  readonly #random: () => number;
  readonly #kinds: Map<DeliveryKind, DeliveryKindHandler>;
  readonly #kindNames: DeliveryKind[];
  readonly #inflight = new Set<Promise<void>>();
  #abort = new AbortController();
  #running = false;
  #loopDone: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #unsubscribe: (() => void) | null = null;
  #lastSweep = 0;

  constructor(o: CallbackDispatcherOptions) {
    this.#store = o.store;
    this.#events = o.events;
    this.#config = o.config;
    this.#logger = o.logger ?? pino({ level: 'silent' });
    this.#clock = o.clock ?? (() => new Date());
    this.#post = o.post ?? postPinned;
    this.#lookup = o.lookup;
    this.#retry = { ...defaultRetryPolicy, ...o.retry };
    this.#timeoutMs = o.attemptTimeoutMs ?? 10_000;
    this.#pollMs = o.pollIntervalMs ?? 1_000;
    this.#sweepMs = o.sweepIntervalMs ?? 60_000;
    this.#concurrency = Math.max(1, o.concurrency ?? 4);
    this.#random = o.random ?? Math.random;
    this.#kinds = new Map((o.kinds ?? []).map((k) => [k.kind, k]));
    this.#kindNames = ['callback', ...this.#kinds.keys()];
  }

  /** Enqueue what a crash left behind, follow run.finished events, and start delivering. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#unsubscribe = this.#events.subscribe('*', (e) => {
      if (e.type !== 'run.finished') return;
      this.enqueueForRun(e.runId).then(
        (n) => n > 0 && this.#wakeUp(),
        (err: unknown) =>
          this.#logger.error({ err, runId: e.runId }, 'enqueueing callbacks failed'),
      );
      for (const k of this.#kinds.values()) {
        k.enqueueForRun(e.runId).then(
          (n) => n > 0 && this.#wakeUp(),
          (err: unknown) =>
            this.#logger.error({ err, runId: e.runId }, `enqueueing ${k.kind} deliveries failed`),
        );
      }
    });
    await this.#sweep();
    this.#loopDone = this.#loop();
  }

  /** Stop delivering; attempts in flight are aborted and retried after their lease expires. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#abort.abort();
    this.#wakeUp();
    await this.#loopDone;
    await Promise.allSettled([...this.#inflight]);
  }

  /**
   * Remember that `url` wants the run's summary when it ends (checked against SSRF again here).
   * A run that already ended gets its delivery enqueued at once.
   */
  async registerRunCallback(c: { projectId: string; runId: string; url: string }): Promise<void> {
    const target = await resolvePublicTarget(c.url, this.#config, this.#opts());
    await this.#store.outbox.addCallback({ ...c, url: target.url.href });
    if ((await this.enqueueForRun(c.runId)) > 0) this.#wakeUp();
  }

  /**
   * Enqueue a delivery for every callback of the run that has none, reading the finished run in
   * the same transaction; a run still going enqueues nothing. Returns how many were enqueued.
   */
  async enqueueForRun(runId: string): Promise<number> {
    return this.#store.transaction(async (tx) => {
      const run = await tx.runs.get(null, runId);
      if (!run || !isTerminal(run.status)) return 0;
      const payload = JSON.stringify(ciSummaryOf(run));
      let n = 0;
      for (const cb of await tx.outbox.callbacksAwaitingDelivery(runId)) {
        const d = await tx.outbox.enqueue({
          projectId: cb.projectId,
          runId: cb.runId,
          callbackId: cb.id,
          url: cb.url,
          event: RUN_FINISHED_EVENT,
          payload,
        });
        if (d) n++;
      }
      return n;
    });
  }

  /** Send a delivery again as a new delivery (same payload, fresh attempts). */
  async redeliver(projectId: string, deliveryId: string): Promise<Delivery> {
    const copy = await redeliver(this.#store, projectId, deliveryId);
    this.#wakeUp();
    return copy;
  }

  /** For tests: enqueue what is missing, deliver everything due now, and wait for it. */
  async drain(): Promise<void> {
    await this.#sweep();
    for (let i = 0; i < 1000; i++) {
      const started = await this.#pump();
      if (this.#inflight.size === 0 && started === 0) return;
      await Promise.race([...this.#inflight]);
    }
  }

  #opts(): { lookup?: LookupAll } {
    return this.#lookup ? { lookup: this.#lookup } : {};
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      let sleepMs = this.#pollMs;
      try {
        if (Date.now() - this.#lastSweep >= this.#sweepMs) await this.#sweep();
        await this.#pump();
        const due = await this.#store.outbox.nextDueAt(this.#kindNames);
        if (due) sleepMs = Math.min(sleepMs, Math.max(0, Date.parse(due) - this.#now()));
      } catch (err) {
        this.#logger.error({ err }, 'callback dispatcher loop failed');
      }
      if (!this.#running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = null;
          resolve();
        }, sleepMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #sweep(): Promise<void> {
    this.#lastSweep = Date.now();
    const missing = await this.#store.outbox.callbacksAwaitingDelivery();
    for (const runId of new Set(missing.map((c) => c.runId))) await this.enqueueForRun(runId);
    for (const k of this.#kinds.values()) {
      // One kind failing to sweep must not keep the others (or callbacks) from being delivered.
      await k
        .sweep()
        .catch((err: unknown) =>
          this.#logger.error({ err }, `sweeping ${k.kind} deliveries failed`),
        );
    }
  }

  /** Lease due deliveries up to the free slots and start them; returns how many started. */
  async #pump(): Promise<number> {
    const free = this.#concurrency - this.#inflight.size;
    if (free <= 0) return 0;
    const leaseUntil = new Date(this.#now() + this.#timeoutMs + 30_000).toISOString();
    const due = await this.#store.outbox.claimDue(free, leaseUntil, this.#kindNames);
    for (const d of due) {
      const p: Promise<void> = this.#attempt(d)
        .catch((err: unknown) =>
          this.#logger.error({ err, deliveryId: d.id }, 'recording a delivery attempt failed'),
        )
        .finally(() => {
          this.#inflight.delete(p);
          this.#wakeUp();
        });
      this.#inflight.add(p);
    }
    return due.length;
  }

  #now(): number {
    return this.#clock().getTime();
  }

  async #attempt(d: Delivery): Promise<void> {
    const attempt = d.attempts + 1;
    const startedAt = this.#now();
    let statusCode: number | null = null;
    let error: string | null;
    let verdict: StatusVerdict;
    try {
      const handler = d.kind === 'callback' ? undefined : this.#kinds.get(d.kind);
      // claimDue only leases kinds this dispatcher carries; never send one as a callback.
      if (d.kind !== 'callback' && !handler) throw new Error(`no sender for ${d.kind} deliveries`);
      const result: AttemptResult = handler
        ? await handler.send(d, {
            timeoutMs: this.#timeoutMs,
            signal: this.#abort.signal,
            post: this.#post,
            ...this.#opts(),
          })
        : await this.#sendCallback(d);
      ({ statusCode, verdict, error } = result);
    } catch (err) {
      // Stopping is not the receiver's fault: leave the lease to expire, then try again.
      if (this.#abort.signal.aborted) return;
      const refused = err instanceof AppError;
      verdict = refused ? 'give_up' : 'retry';
      error = err instanceof Error ? err.message : String(err);
    }
    const now = this.#now();
    const record: DeliveryAttempt = {
      attempt,
      startedAt: new Date(startedAt).toISOString(),
      durationMs: now - startedAt,
      statusCode,
      error,
    };
    const iso = new Date(now).toISOString();
    const retry = verdict === 'retry' && attempt < this.#retry.maxAttempts;
    const status = verdict === 'delivered' ? 'delivered' : retry ? 'pending' : 'failed';
    const next = retry ? now + retryDelayMs(this.#retry, attempt, this.#random()) : now;
    await this.#store.transaction((tx) =>
      tx.outbox.recordAttempt(d.id, record, {
        status,
        nextAttemptAt: new Date(next).toISOString(),
        deliveredAt: status === 'delivered' ? iso : null,
      }),
    );
    const log = { deliveryId: d.id, runId: d.runId, attempt, statusCode, status };
    if (status === 'failed') this.#logger.warn({ ...log, error }, `${d.kind} delivery gave up`);
    else if (status === 'pending')
      this.#logger.info({ ...log, error }, `${d.kind} delivery failed`);
    else this.#logger.info(log, `${d.kind} delivered`);
  }

  /** POST a callback's payload, signed with the project's secret. */
  async #sendCallback(d: Delivery): Promise<AttemptResult> {
    // Checked again at send time: DNS may have changed since the trigger.
    const target = await resolvePublicTarget(d.url, this.#config, this.#opts());
    const secret = await this.#store.projectSecrets.getOrCreate(
      d.projectId,
      generateCallbackSecret(),
    );
    const headers = {
      'content-type': 'application/json',
      'user-agent': `Greenlight-Callback/${pkg.version}`,
      [signatureHeaders.event]: d.event,
      [signatureHeaders.delivery]: d.id,
      ...signedHeaders(secret.secret, d.payload, Math.floor(this.#now() / 1000)),
    };
    const res = await this.#post({
      target,
      headers,
      body: d.payload,
      timeoutMs: this.#timeoutMs,
      signal: this.#abort.signal,
    });
    const verdict = judgeStatus(res.status);
    const error = verdict === 'delivered' ? null : `receiver answered HTTP ${res.status}`;
    return { statusCode: res.status, verdict, error };
  }
}

/**
 * Queue a delivery again as a new delivery (same URL and payload, fresh attempts); any
 * dispatcher on the database picks it up. 404 when the delivery is not the project's.
 */
export async function redeliver(
  store: Store,
  projectId: string,
  deliveryId: string,
): Promise<Delivery> {
  const d = await store.outbox.get(projectId, deliveryId);
  if (!d) throw notFound('delivery');
  const copy = await store.outbox.enqueue({
    projectId: d.projectId,
    runId: d.runId,
    callbackId: d.callbackId,
    url: d.url,
    event: d.event,
    payload: d.payload,
    redeliveryOf: d.redeliveryOf ?? d.id,
    kind: d.kind,
    channelId: d.channelId,
  });
  if (!copy) throw new AppError('conflict', 'delivery could not be queued again');
  return copy;
}
