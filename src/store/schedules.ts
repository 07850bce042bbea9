import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { AppError } from '../domain/errors.ts';
import type { Selection } from '../domain/run.ts';
import type { RunOptionsInput } from '../domain/run-options.ts';
import type { StrategyRequest } from '../domain/selection.ts';
import type { SchedulesTable } from './database.ts';
import { fromJson, isUniqueViolation, toJson, type RepoContext } from './sql-helpers.ts';
import { defined } from '../domain/defined.ts';

/** A cron schedule of a project: which tests to run, where, and when. */
export interface Schedule {
  id: string;
  projectId: string;
  /** Unique in the project; also the `actor` of the runs it starts. */
  name: string;
  /** Five-field cron pattern, read in `timezone`. */
  cron: string;
  /** IANA time zone name. */
  timezone: string;
  enabled: boolean;
  selection: Selection;
  environment: string | null;
  baseUrl: string | null;
  parallelWorkers: number | null;
  /** Narrows each firing's selection (failed, flaky, recent); null: the whole selection. */
  strategy: StrategyRequest | null;
  /** Run options of each firing (retries, device, …); null: the project's defaults. */
  options: RunOptionsInput | null;
  /** Occurrences at or before this instant never fire (creation, re-enabling, a new cron). */
  anchorAt: string;
  /** The occurrence last claimed by a scheduler (whether its run could start or not). */
  lastFiredAt: string | null;
  lastRunId: string | null;
  /** Why the last firing started no run; null after a firing that did. */
  lastError: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScheduleInput {
  name: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  selection: Selection;
  environment: string | null;
  baseUrl: string | null;
  parallelWorkers: number | null;
  strategy?: StrategyRequest | null;
  options?: RunOptionsInput | null;
  createdBy?: string | null;
}

export type SchedulePatch = Partial<Omit<ScheduleInput, 'createdBy'>>;

/** What a scheduler writes when it claims a firing. */
export interface FiringOutcome {
  runId: string | null;
  error: string | null;
}

export interface ScheduleRepository {
  /** Schedules of a project, by name. */
  list(projectId: string): Promise<Schedule[]>;
  get(projectId: string, id: string): Promise<Schedule | undefined>;
  /** Throws conflict when the project already has a schedule of that name. */
  create(projectId: string, input: ScheduleInput): Promise<Schedule>;
  /**
   * Change fields; enabling a disabled schedule or changing its cron or zone moves its anchor to
   * now, so occurrences missed meanwhile do not fire. Undefined when there is no such schedule.
   */
  update(projectId: string, id: string, patch: SchedulePatch): Promise<Schedule | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
  /** Enabled schedules of every project that is not deleted: what a scheduler tick looks at. */
  listEnabled(): Promise<Schedule[]>;
  /**
   * Claim the firing at `fireAt` and record its outcome in one conditional UPDATE. True only for
   * the one caller whose UPDATE moved `last_fired_at` forward; every other caller (another
   * process, a later retry) gets false and must not start a run.
   */
  claimFiring(id: string, fireAt: string, outcome: FiringOutcome): Promise<boolean>;
}

const MAX_ERROR = 2000;

function toSchedule(r: Selectable<SchedulesTable>): Schedule {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    enabled: r.enabled === 1,
    selection: fromJson<Selection>(r.selection, 'schedules.selection'),
    environment: r.environment,
    baseUrl: r.base_url,
    parallelWorkers: r.parallel_workers,
    strategy:
      r.strategy === null ? null : fromJson<StrategyRequest>(r.strategy, 'schedules.strategy'),
    options: r.options === null ? null : fromJson<RunOptionsInput>(r.options, 'schedules.options'),
    anchorAt: r.anchor_at,
    lastFiredAt: r.last_fired_at,
    lastRunId: r.last_run_id,
    lastError: r.last_error,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const nameTaken = (name: string): AppError =>
  new AppError('conflict', `a schedule named "${name}" already exists in this project`, { name });

export function scheduleRepository({ db, now }: RepoContext): ScheduleRepository {
  return {
    async list(projectId) {
      const rows = await db
        .selectFrom('schedules')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map(toSchedule);
    },

    async get(projectId, id) {
      const row = await db
        .selectFrom('schedules')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toSchedule(row);
    },

    async create(projectId, i) {
      const at = now();
      const row = {
        id: randomUUID(),
        project_id: projectId,
        name: i.name,
        cron: i.cron,
        timezone: i.timezone,
        enabled: i.enabled ? 1 : 0,
        selection: toJson(i.selection),
        environment: i.environment,
        base_url: i.baseUrl,
        parallel_workers: i.parallelWorkers,
        strategy: i.strategy ? toJson(i.strategy) : null,
        options: i.options ? toJson(i.options) : null,
        anchor_at: at,
        last_fired_at: null,
        last_run_id: null,
        last_error: null,
        created_by: i.createdBy ?? null,
        created_at: at,
        updated_at: at,
      };
      try {
        await db.insertInto('schedules').values(row).execute();
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(i.name);
        throw e;
      }
      return toSchedule(row);
    },

    async update(projectId, id, p) {
      const existing = await this.get(projectId, id);
      if (!existing) return undefined;
      const at = now();
      const reanchor =
        (p.enabled === true && !existing.enabled) ||
        (p.cron !== undefined && p.cron !== existing.cron) ||
        (p.timezone !== undefined && p.timezone !== existing.timezone);
      try {
        await db
          .updateTable('schedules')
          .set({
            ...defined({ name: p.name, cron: p.cron, timezone: p.timezone }),
            ...(p.enabled !== undefined ? { enabled: p.enabled ? 1 : 0 } : {}),
            ...(p.selection !== undefined ? { selection: toJson(p.selection) } : {}),
            ...defined({
              environment: p.environment,
              base_url: p.baseUrl,
              parallel_workers: p.parallelWorkers,
            }),
            ...(p.strategy !== undefined ? { strategy: p.strategy && toJson(p.strategy) } : {}),
            ...(p.options !== undefined ? { options: p.options && toJson(p.options) } : {}),
            ...(reanchor ? { anchor_at: at } : {}),
            updated_at: at,
          })
          .where('project_id', '=', projectId)
          .where('id', '=', id)
          .execute();
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(p.name ?? '');
        throw e;
      }
      return this.get(projectId, id);
    },

    async delete(projectId, id) {
      const r = await db
        .deleteFrom('schedules')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async listEnabled() {
      const rows = await db
        .selectFrom('schedules')
        .innerJoin('projects', 'projects.id', 'schedules.project_id')
        .selectAll('schedules')
        .where('schedules.enabled', '=', 1)
        .where('projects.deleted_at', 'is', null)
        .orderBy('schedules.id')
        .execute();
      return rows.map(toSchedule);
    },

    async claimFiring(id, fireAt, outcome) {
      // ISO-8601 UTC text sorts like time, so `<` is a time comparison on both engines. Under
      // PostgreSQL's READ COMMITTED a concurrent claimer waits for the row lock and re-checks
      // the condition against the committed value, so exactly one UPDATE changes the row.
      const r = await db
        .updateTable('schedules')
        .set({
          last_fired_at: fireAt,
          last_run_id: outcome.runId,
          last_error: outcome.error === null ? null : outcome.error.slice(0, MAX_ERROR),
        })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_fired_at', 'is', null), eb('last_fired_at', '<', fireAt)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
