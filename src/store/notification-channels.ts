import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { terminalRunStatuses, type RunStatus } from '../domain/run.ts';
import type { NotificationChannelsTable } from './database.ts';
import { fromJson, toJson, toNumber, type RepoContext } from './sql-helpers.ts';

export const notificationTypes = ['slack', 'teams', 'webhook', 'email'] as const;

export const notificationEvents = [
  'run.failed',
  'run.recovered',
  'flaky.detected',
  'run.finished',
] as const;
export type NotificationEvent = (typeof notificationEvents)[number];

/** Where a channel sends, by type. */
export type ChannelTarget =
  | { type: 'slack' | 'teams'; config: { webhookUrl: string } }
  | { type: 'webhook'; config: { url: string } }
  | { type: 'email'; config: { to: string[] } };

export type NotificationChannel = ChannelTarget & {
  id: string;
  projectId: string;
  name: string;
  events: NotificationEvent[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
};

export interface NewChannel {
  name: string;
  events: NotificationEvent[];
  enabled: boolean;
  target: ChannelTarget;
}

export interface ChannelPatch {
  name?: string;
  events?: NotificationEvent[];
  enabled?: boolean;
  /** Same type as the channel's; changing the type means a new channel. */
  config?: ChannelTarget['config'];
}

/** A test whose last attempt passed after an earlier one did not. */
export interface FlakyTest {
  testId: string;
  testName: string;
  attempt: number;
}

export interface NotificationChannelRepository {
  create(projectId: string, c: NewChannel): Promise<NotificationChannel>;
  /** Oldest first. */
  list(projectId: string): Promise<NotificationChannel[]>;
  get(projectId: string, id: string): Promise<NotificationChannel | undefined>;
  /** By id alone, for the sender (the delivery row already names the project). */
  byId(id: string): Promise<NotificationChannel | undefined>;
  update(projectId: string, id: string, p: ChannelPatch): Promise<NotificationChannel | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
  /**
   * Mark a finished run as evaluated; false when it already was (another process, or the sweep
   * and the event handler both got there). Call in the transaction that enqueues its messages.
   */
  markEvaluated(runId: string, projectId: string, events: NotificationEvent[]): Promise<boolean>;
  /**
   * Finished runs not evaluated yet, of projects with a channel created before the run ended
   * (older runs were never meant to notify anyone). Oldest first.
   */
  runsAwaitingEvaluation(limit: number): Promise<string[]>;
  /**
   * Status of the project's last verdict before `finishedAt` (passed, failed or error; a
   * cancelled run is no verdict and is skipped), or null when there is none.
   */
  previousVerdict(projectId: string, runId: string, finishedAt: string): Promise<RunStatus | null>;
  /** Tests of the run that passed on a later attempt (retries). */
  flakyTests(runId: string): Promise<FlakyTest[]>;
}

function toChannel(r: Selectable<NotificationChannelsTable>): NotificationChannel {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    // The row was validated on the way in; type and config are written together.
    ...({
      type: r.type,
      config: fromJson(r.config, 'notification_channels.config'),
    } as ChannelTarget),
    events: fromJson<NotificationEvent[]>(r.events, 'notification_channels.events'),
    enabled: r.enabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const verdictStatuses: RunStatus[] = ['passed', 'failed', 'error'];

export function notificationChannelRepository({
  db,
  now,
}: RepoContext): NotificationChannelRepository {
  const getRow = (projectId: string | null, id: string) => {
    let q = db.selectFrom('notification_channels').selectAll().where('id', '=', id);
    if (projectId !== null) q = q.where('project_id', '=', projectId);
    return q.executeTakeFirst();
  };

  return {
    async create(projectId, c) {
      const at = now();
      const row = {
        id: randomUUID(),
        project_id: projectId,
        name: c.name,
        type: c.target.type,
        events: toJson(c.events),
        config: toJson(c.target.config),
        enabled: c.enabled ? 1 : 0,
        created_at: at,
        updated_at: at,
      };
      await db.insertInto('notification_channels').values(row).execute();
      return toChannel(row);
    },

    async list(projectId) {
      const rows = await db
        .selectFrom('notification_channels')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toChannel);
    },

    async get(projectId, id) {
      const row = await getRow(projectId, id);
      return row ? toChannel(row) : undefined;
    },

    async byId(id) {
      const row = await getRow(null, id);
      return row ? toChannel(row) : undefined;
    },

    async update(projectId, id, p) {
      const set: Partial<Selectable<NotificationChannelsTable>> = { updated_at: now() };
      if (p.name !== undefined) set.name = p.name;
      if (p.events !== undefined) set.events = toJson(p.events);
      if (p.enabled !== undefined) set.enabled = p.enabled ? 1 : 0;
      if (p.config !== undefined) set.config = toJson(p.config);
      const res = await db
        .updateTable('notification_channels')
        .set(set)
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (toNumber(res.numUpdatedRows) !== 1) return undefined;
      const row = await getRow(projectId, id);
      return row ? toChannel(row) : undefined;
    },

    async delete(projectId, id) {
      const res = await db
        .deleteFrom('notification_channels')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return toNumber(res.numDeletedRows) === 1;
    },

    async markEvaluated(runId, projectId, events) {
      const res = await db
        .insertInto('notification_evaluations')
        .values({
          run_id: runId,
          project_id: projectId,
          events: toJson(events),
          evaluated_at: now(),
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return toNumber(res.numInsertedOrUpdatedRows) === 1;
    },

    async runsAwaitingEvaluation(limit) {
      const rows = await db
        .selectFrom('runs as r')
        .select('r.id')
        .where('r.status', 'in', [...terminalRunStatuses])
        .where('r.finished_at', 'is not', null)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('notification_channels as c')
              .select('c.id')
              .whereRef('c.project_id', '=', 'r.project_id')
              .whereRef('c.created_at', '<=', 'r.finished_at'),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('notification_evaluations as e')
                .select('e.run_id')
                .whereRef('e.run_id', '=', 'r.id'),
            ),
          ),
        )
        .orderBy('r.finished_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    async previousVerdict(projectId, runId, finishedAt) {
      const row = await db
        .selectFrom('runs')
        .select('status')
        .where('project_id', '=', projectId)
        .where('id', '!=', runId)
        .where('status', 'in', verdictStatuses)
        .where('finished_at', '<=', finishedAt)
        .orderBy('finished_at', 'desc')
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? (row.status as RunStatus) : null;
    },

    async flakyTests(runId) {
      const rows = await db
        .selectFrom('results')
        .select(['test_id', 'test_name', 'status', 'attempt'])
        .where('run_id', '=', runId)
        .orderBy('attempt')
        .execute();
      // A test's verdict is its last attempt: `flaky` (failed, then passed on a retry in the same
      // job), or a pass that was not the first attempt.
      const last = new Map<string, (typeof rows)[number]>();
      for (const r of rows) last.set(r.test_id, r);
      return [...last.values()]
        .filter((r) => r.status === 'flaky' || (r.status === 'passed' && r.attempt > 1))
        .map((r) => ({ testId: r.test_id, testName: r.test_name, attempt: r.attempt }));
    },
  };
}
