import type { Selectable } from 'kysely';
import {
  isTerminal,
  type Run,
  type RunCounts,
  type RunStatus,
  type Selection,
  type TriggerInfo,
} from '../domain/run.ts';
import { resolveRunOptions, type RunOptions } from '../domain/run-options.ts';
import type { SelectionDetail } from '../domain/selection.ts';
import type { RunsTable } from './database.ts';
import {
  fromJson,
  inTransaction,
  toJson,
  toNumber,
  type Db,
  type RepoContext,
} from './sql-helpers.ts';

export interface RunListQuery {
  limit: number;
  offset: number;
  status?: RunStatus;
}

export interface RunFinish {
  status: RunStatus;
  error: string | null;
  counts: RunCounts;
  finishedAt: string;
}

export interface RunRepository {
  create(run: Run, opts?: Partial<RunOptions>): Promise<Run>;
  /** The run's execution options, defaults filled in. */
  options(id: string): Promise<RunOptions | undefined>;
  /** projectId null reads across projects (engine-internal use only). */
  get(projectId: string | null, id: string): Promise<Run | undefined>;
  /** Newest first. */
  list(projectId: string, q: RunListQuery): Promise<{ items: Run[]; total: number }>;
  /** queued → running; false when the run was not queued (already started or finished). */
  markRunning(id: string, at: string): Promise<boolean>;
  /** Set the verdict once; false when the run had already finished (idempotent). */
  finish(id: string, f: RunFinish): Promise<boolean>;
  /** Runs of every project still queued or running (recovery at start-up). */
  unfinished(): Promise<Run[]>;
  /** Only the run's status: the per-test check, without reading its plan back. */
  status(id: string): Promise<RunStatus | undefined>;
  /** Add to the run's artifact byte total (negative to give back); returns the new total. */
  addArtifactBytes(id: string, delta: number): Promise<number>;
}

const unfinishedStatuses: RunStatus[] = ['queued', 'running'];

function toRun(r: Selectable<RunsTable>): Run {
  return {
    id: r.id,
    projectId: r.project_id,
    status: r.status as RunStatus,
    trigger: fromJson<TriggerInfo>(r.trigger, 'runs.trigger'),
    selection: fromJson<Selection>(r.selection, 'runs.selection'),
    testIds: fromJson<string[]>(r.test_ids, 'runs.test_ids'),
    baseUrl: r.base_url,
    environment: r.environment,
    parallelWorkers: r.parallel_workers,
    ...(r.selection_detail !== null
      ? { selectionDetail: fromJson<SelectionDetail>(r.selection_detail, 'runs.selection_detail') }
      : {}),
    error: r.error,
    total: r.total,
    passed: r.passed,
    failed: r.failed,
    skipped: r.skipped,
    errored: r.errored,
    flaky: r.flaky,
    quarantined: r.quarantined,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    options: storedOptions(r),
  };
}

/** The stored options over the defaults; runs from before the options column only knew `trace`. */
function storedOptions(r: Pick<Selectable<RunsTable>, 'trace' | 'options'>): RunOptions {
  const stored = fromJson<Partial<RunOptions>>(r.options, 'runs.options');
  return resolveRunOptions({ trace: r.trace === 1 }, stored);
}

/** The progress columns read beside a run (see `withProgress`). */
const progressColumns = [
  'p.passed as p_passed',
  'p.failed as p_failed',
  'p.skipped as p_skipped',
  'p.errored as p_errored',
  'p.flaky as p_flaky',
  'p.quarantined as p_quarantined',
] as const;

type ProgressRow = Selectable<RunsTable> & {
  p_passed: number | null;
  p_failed: number | null;
  p_skipped: number | null;
  p_errored: number | null;
  p_flaky: number | null;
  p_quarantined: number | null;
};

/**
 * A run's counts: the verdict writes them into the run; until then they are the live counters
 * results.insert keeps in `run_progress` (one row read, however many results there are).
 */
function withProgress(r: ProgressRow): Run {
  const run = toRun(r);
  if (isTerminal(run.status)) return run;
  return {
    ...run,
    passed: r.p_passed ?? 0,
    failed: r.p_failed ?? 0,
    skipped: r.p_skipped ?? 0,
    errored: r.p_errored ?? 0,
    flaky: r.p_flaky ?? 0,
    quarantined: r.p_quarantined ?? 0,
  };
}

/**
 * A page of a project's runs, newest first, optionally of one status: an index range read in
 * order (`runs_project_created_id`, `runs_project_status_created`; claim-plan.test.ts).
 */
export function runListPageQuery(db: Db, projectId: string, q: RunListQuery) {
  let page = db
    .selectFrom('runs')
    .leftJoin('run_progress as p', 'p.run_id', 'runs.id')
    .selectAll('runs')
    .select(progressColumns)
    .where('runs.project_id', '=', projectId);
  if (q.status) page = page.where('runs.status', '=', q.status);
  return page
    .orderBy('runs.created_at', 'desc')
    .orderBy('runs.id', 'desc')
    .limit(q.limit)
    .offset(q.offset);
}

/** The `run_counts` row that counts all of a project's runs. */
const ALL_RUNS = '*';

/**
 * How many runs the list has in all (same filter as the page). All runs and finished ones are
 * counted as they are created and finished (one row read); queued and running runs, few at any
 * time, are counted from their index.
 */
export function runListCountQuery(db: Db, projectId: string, q: RunListQuery) {
  if (q.status && !isTerminal(q.status)) {
    return db
      .selectFrom('runs')
      .where('project_id', '=', projectId)
      .where('status', '=', q.status)
      .select((eb) => eb.fn.countAll<number | string>().as('n'));
  }
  return db
    .selectFrom('run_counts')
    .where('project_id', '=', projectId)
    .where('status', '=', q.status ?? ALL_RUNS)
    .select('runs as n');
}

/** One more run of `status` (or of all, `*`) in the project: in the caller's transaction. */
async function countRun(db: Db, projectId: string, status: string): Promise<void> {
  await db
    .insertInto('run_counts')
    .values({ project_id: projectId, status, runs: 1 })
    .onConflict((oc) =>
      oc
        .columns(['project_id', 'status'])
        .doUpdateSet((eb) => ({ runs: eb('run_counts.runs', '+', 1) })),
    )
    .execute();
}

async function insertRun(db: Db, run: Run, opts: Partial<RunOptions>): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      project_id: run.projectId,
      status: run.status,
      trigger: toJson(run.trigger),
      selection: toJson(run.selection),
      test_ids: toJson(run.testIds),
      base_url: run.baseUrl,
      environment: run.environment,
      parallel_workers: run.parallelWorkers,
      trace: opts.trace ? 1 : 0,
      options: toJson(resolveRunOptions(opts)),
      selection_detail: run.selectionDetail ? toJson(run.selectionDetail) : null,
      error: run.error,
      total: run.total,
      passed: run.passed,
      failed: run.failed,
      skipped: run.skipped,
      errored: run.errored,
      flaky: run.flaky,
      quarantined: run.quarantined,
      created_at: run.createdAt,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
    })
    .execute();
}

export function runRepository({ db }: RepoContext): RunRepository {
  const runs = () =>
    db
      .selectFrom('runs')
      .leftJoin('run_progress as p', 'p.run_id', 'runs.id')
      .selectAll('runs')
      .select(progressColumns);

  return {
    async create(run, opts = {}) {
      await inTransaction(db, async (tx) => {
        await insertRun(tx, run, opts);
        await countRun(tx, run.projectId, ALL_RUNS);
        if (isTerminal(run.status)) await countRun(tx, run.projectId, run.status);
      });
      return { ...run, options: resolveRunOptions(opts) };
    },

    async options(id) {
      const row = await db
        .selectFrom('runs')
        .select(['trace', 'options'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row && storedOptions(row);
    },

    async get(projectId, id) {
      let q = runs().where('runs.id', '=', id);
      if (projectId !== null) q = q.where('runs.project_id', '=', projectId);
      const row = await q.executeTakeFirst();
      return row && withProgress(row);
    },

    async list(projectId, q) {
      const [rows, count] = await Promise.all([
        runListPageQuery(db, projectId, q).execute(),
        runListCountQuery(db, projectId, q).executeTakeFirst(),
      ]);
      // No count row: the project has had no run (of that status) yet.
      return { items: rows.map(withProgress), total: toNumber(count?.n ?? 0) };
    },

    async markRunning(id, at) {
      const r = await db
        .updateTable('runs')
        .set({ status: 'running', started_at: at })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    finish(id, f) {
      return inTransaction(db, async (tx) => {
        const row = await tx
          .updateTable('runs')
          .set({
            status: f.status,
            error: f.error,
            total: f.counts.total,
            passed: f.counts.passed,
            failed: f.counts.failed,
            skipped: f.counts.skipped,
            errored: f.counts.errored,
            flaky: f.counts.flaky,
            quarantined: f.counts.quarantined,
            finished_at: f.finishedAt,
          })
          .where('id', '=', id)
          .where('status', 'in', unfinishedStatuses)
          .returning('project_id')
          .executeTakeFirst();
        if (!row) return false;
        if (isTerminal(f.status)) await countRun(tx, row.project_id, f.status);
        return true;
      });
    },

    async unfinished() {
      const rows = await runs()
        .where('runs.status', 'in', unfinishedStatuses)
        .orderBy('runs.created_at')
        .orderBy('runs.id')
        .execute();
      return rows.map(withProgress);
    },

    async status(id) {
      const row = await db
        .selectFrom('runs')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.status as RunStatus | undefined;
    },

    async addArtifactBytes(id, delta) {
      const row = await db
        .insertInto('run_progress')
        .values({ run_id: id, artifact_bytes: delta })
        .onConflict((oc) =>
          oc.column('run_id').doUpdateSet((eb) => ({
            artifact_bytes: eb('run_progress.artifact_bytes', '+', delta),
          })),
        )
        .returning('artifact_bytes')
        .executeTakeFirst();
      return row ? toNumber(row.artifact_bytes) : 0;
    },
  };
}
