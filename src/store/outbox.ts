import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { terminalRunStatuses } from '../domain/run.ts';
import type { DeliveriesTable, DeliveryAttemptsTable } from './database.ts';
import { toNumber, type RepoContext } from './sql-helpers.ts';

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** What a delivery carries: a run's callback, or a project notification (see integrations/). */
export type DeliveryKind = 'callback' | 'notification';

/** A URL a run reports to when it ends. */
export interface RunCallback {
  id: string;
  projectId: string;
  runId: string;
  url: string;
  createdAt: string;
}

/** One message in the outbox: a payload for one URL, retried until delivered or given up. */
export interface Delivery {
  id: string;
  projectId: string;
  runId: string;
  /**
   * The run callback it serves; for a notification `notify:<channelId>:<runId>`, so the unique
   * original-delivery index makes enqueueing a channel's message for a run idempotent too.
   */
  callbackId: string;
  redeliveryOf: string | null;
  url: string;
  event: string;
  /** The JSON body, exactly as sent. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  kind: DeliveryKind;
  /** The notification channel (kind `notification`); null for callbacks. */
  channelId: string | null;
}

export interface DeliveryAttempt {
  attempt: number;
  startedAt: string;
  durationMs: number;
  /** HTTP status of the answer; null when none came (refused, timeout, SSRF refusal). */
  statusCode: number | null;
  error: string | null;
}

export interface NewDelivery {
  projectId: string;
  runId: string;
  callbackId: string;
  url: string;
  event: string;
  payload: string;
  redeliveryOf?: string;
  /** Default `callback`. */
  kind?: DeliveryKind;
  channelId?: string | null;
}

/** How an attempt left the delivery. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  /** Due time of the next attempt (pending only). */
  nextAttemptAt: string;
  deliveredAt: string | null;
}

export interface DeliveryListQuery {
  runId?: string;
  status?: DeliveryStatus;
  limit: number;
  offset: number;
}

export interface OutboxRepository {
  /** Remember a callback URL for a run; registering the same URL twice is a no-op. */
  addCallback(c: { projectId: string; runId: string; url: string }): Promise<RunCallback>;
  /** Callbacks of finished runs that have no delivery yet (optionally of one run). */
  callbacksAwaitingDelivery(runId?: string): Promise<RunCallback[]>;
  /** Insert a pending delivery due now; false when the callback already has its original one. */
  enqueue(d: NewDelivery): Promise<Delivery | null>;
  /**
   * Lease up to `limit` due deliveries (of the given kinds; default all) until `leaseUntil` so no
   * other loop takes them.
   */
  claimDue(limit: number, leaseUntil: string, kinds?: DeliveryKind[]): Promise<Delivery[]>;
  /** Log an attempt and move the delivery to its next state. */
  recordAttempt(id: string, a: DeliveryAttempt, o: AttemptOutcome): Promise<void>;
  /** Earliest due time of a pending delivery (of the given kinds), to sleep until then. */
  nextDueAt(kinds?: DeliveryKind[]): Promise<string | null>;
  /** Newest first. */
  list(projectId: string, q: DeliveryListQuery): Promise<{ items: Delivery[]; total: number }>;
  get(projectId: string, id: string): Promise<Delivery | undefined>;
  attempts(deliveryId: string): Promise<DeliveryAttempt[]>;
}

function toDelivery(r: Selectable<DeliveriesTable>): Delivery {
  return {
    id: r.id,
    projectId: r.project_id,
    runId: r.run_id,
    callbackId: r.callback_id,
    redeliveryOf: r.redelivery_of,
    url: r.url,
    event: r.event,
    payload: r.payload,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
    kind: r.kind === 'notification' ? 'notification' : 'callback',
    channelId: r.channel_id,
  };
}

const toAttempt = (r: Selectable<DeliveryAttemptsTable>): DeliveryAttempt => ({
  attempt: r.attempt,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  statusCode: r.status_code,
  error: r.error,
});

export function outboxRepository({ db, now }: RepoContext): OutboxRepository {
  return {
    async addCallback(c) {
      const row = {
        id: randomUUID(),
        project_id: c.projectId,
        run_id: c.runId,
        url: c.url,
        created_at: now(),
      };
      await db
        .insertInto('run_callbacks')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .execute();
      const stored = await db
        .selectFrom('run_callbacks')
        .selectAll()
        .where('run_id', '=', c.runId)
        .where('url', '=', c.url)
        .executeTakeFirstOrThrow();
      return {
        id: stored.id,
        projectId: stored.project_id,
        runId: stored.run_id,
        url: stored.url,
        createdAt: stored.created_at,
      };
    },

    async callbacksAwaitingDelivery(runId) {
      let q = db
        .selectFrom('run_callbacks as rc')
        .innerJoin('runs as r', 'r.id', 'rc.run_id')
        .selectAll('rc')
        .where('r.status', 'in', [...terminalRunStatuses])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('deliveries as d')
                .select('d.id')
                .whereRef('d.callback_id', '=', 'rc.id')
                .where('d.redelivery_of', 'is', null),
            ),
          ),
        );
      if (runId !== undefined) q = q.where('rc.run_id', '=', runId);
      const rows = await q.orderBy('rc.created_at').execute();
      return rows.map((r) => ({
        id: r.id,
        projectId: r.project_id,
        runId: r.run_id,
        url: r.url,
        createdAt: r.created_at,
      }));
    },

    async enqueue(d) {
      const at = now();
      const row = {
        id: randomUUID(),
        project_id: d.projectId,
        run_id: d.runId,
        callback_id: d.callbackId,
        redelivery_of: d.redeliveryOf ?? null,
        url: d.url,
        event: d.event,
        payload: d.payload,
        status: 'pending',
        attempts: 0,
        next_attempt_at: at,
        last_status_code: null,
        last_error: null,
        created_at: at,
        delivered_at: null,
        kind: d.kind ?? 'callback',
        channel_id: d.channelId ?? null,
      };
      const res = await db
        .insertInto('deliveries')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return toNumber(res.numInsertedOrUpdatedRows) === 1 ? toDelivery(row) : null;
    },

    async claimDue(limit, leaseUntil, kinds) {
      let q = db
        .selectFrom('deliveries')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now());
      if (kinds) q = q.where('kind', 'in', kinds);
      const due = await q.orderBy('next_attempt_at').limit(limit).execute();
      const claimed: Delivery[] = [];
      for (const r of due) {
        // Optimistic lease: only the loop whose update still sees the old due time wins.
        const res = await db
          .updateTable('deliveries')
          .set({ next_attempt_at: leaseUntil })
          .where('id', '=', r.id)
          .where('status', '=', 'pending')
          .where('next_attempt_at', '=', r.next_attempt_at)
          .executeTakeFirst();
        if (toNumber(res.numUpdatedRows) === 1) {
          claimed.push(toDelivery({ ...r, next_attempt_at: leaseUntil }));
        }
      }
      return claimed;
    },

    async recordAttempt(id, a, o) {
      await db
        .insertInto('delivery_attempts')
        .values({
          id: randomUUID(),
          delivery_id: id,
          attempt: a.attempt,
          started_at: a.startedAt,
          duration_ms: Math.round(a.durationMs),
          status_code: a.statusCode,
          error: a.error,
        })
        .execute();
      await db
        .updateTable('deliveries')
        .set({
          status: o.status,
          attempts: a.attempt,
          next_attempt_at: o.nextAttemptAt,
          last_status_code: a.statusCode,
          last_error: a.error,
          delivered_at: o.deliveredAt,
        })
        .where('id', '=', id)
        .execute();
    },

    async nextDueAt(kinds) {
      let q = db
        .selectFrom('deliveries')
        .select(({ fn }) => fn.min('next_attempt_at').as('due'))
        .where('status', '=', 'pending');
      if (kinds) q = q.where('kind', 'in', kinds);
      const row = await q.executeTakeFirst();
      return row?.due ?? null;
    },

    async list(projectId, q) {
      let base = db.selectFrom('deliveries').where('project_id', '=', projectId);
      if (q.runId !== undefined) base = base.where('run_id', '=', q.runId);
      if (q.status !== undefined) base = base.where('status', '=', q.status);
      const [rows, count] = await Promise.all([
        base
          .selectAll()
          .orderBy('created_at', 'desc')
          .orderBy('id')
          .limit(q.limit)
          .offset(q.offset)
          .execute(),
        base.select(({ fn }) => fn.countAll().as('n')).executeTakeFirst(),
      ]);
      return { items: rows.map(toDelivery), total: toNumber(count?.n as number | string) };
    },

    async get(projectId, id) {
      const row = await db
        .selectFrom('deliveries')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDelivery(row) : undefined;
    },

    async attempts(deliveryId) {
      const rows = await db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('delivery_id', '=', deliveryId)
        .orderBy('attempt')
        .execute();
      return rows.map(toAttempt);
    },
  };
}
