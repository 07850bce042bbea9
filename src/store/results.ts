import type { Selectable } from 'kysely';
import type {
  Artifacts,
  AttemptRecord,
  ConsoleEntry,
  FailedRequest,
  ResultStatus,
  StepResult,
  TestResult,
} from '../domain/run.ts';
import type { HealedLocator } from '../domain/locator-memory.ts';
import type { VisualCheck } from '../domain/visual.ts';
import type { ResultsTable } from './database.ts';
import { chunksOf, fromJson, toJson, toNumber, type RepoContext } from './sql-helpers.ts';

/** Result counts of a run by status (the run's total comes from its plan). */
export interface ResultTally {
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
  flaky: number;
  /** Results of quarantined tests, counted here only. */
  quarantined: number;
}

export interface ResultRepository {
  /** Results of a run in the order they started; pass projectId to scope to one project. */
  listByRun(runId: string, projectId?: string | null): Promise<TestResult[]>;
  /**
   * One page of a run's results in the order they started, after `after` (the last result of
   * the previous page); `next` is set while more follow. Bounded however large the run.
   */
  pageByRun(
    runId: string,
    projectId: string,
    page: { limit: number; after?: ResultCursor | null; statuses?: ResultStatus[] },
  ): Promise<{ items: TestResult[]; next: ResultCursor | null }>;
  /**
   * The newest `limit` results of a run (by start, oldest of them first) with only the fields a
   * progress line shows, and how many results the run has: what a live snapshot sends, bounded
   * however large the run.
   */
  latestByRun(
    runId: string,
    projectId: string,
    limit: number,
  ): Promise<{ items: ResultHeadline[]; total: number }>;
  /** One small row insert; the queue calls it in the same transaction as the job update. */
  insert(projectId: string, result: TestResult): Promise<void>;
  /**
   * The run's counts by status: counters kept by `insert` in the same transaction as each
   * result row, so reading them costs the same at 10 or 10,000 results.
   */
  tally(runId: string): Promise<ResultTally>;
  /** Mean duration of past passed/failed results of these tests, for planning. */
  meanDurations(projectId: string, testIds: string[]): Promise<Map<string, number>>;
}

function toResult(r: Selectable<ResultsTable>): TestResult {
  return {
    id: r.id,
    runId: r.run_id,
    testId: r.test_id,
    testName: r.test_name,
    status: r.status as ResultStatus,
    attempt: r.attempt,
    durationMs: r.duration_ms,
    failedStep: r.failed_step,
    error: r.error,
    steps: fromJson<StepResult[]>(r.steps, 'results.steps'),
    consoleErrors: fromJson<ConsoleEntry[]>(r.console_errors, 'results.console_errors'),
    failedRequests: fromJson<FailedRequest[]>(r.failed_requests, 'results.failed_requests'),
    artifacts: fromJson<Artifacts>(r.artifacts, 'results.artifacts'),
    ...visitedOf(r),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    ...retriesOf(r),
    ...(r.visual ? { visual: fromJson<VisualCheck[]>(r.visual, 'results.visual') } : {}),
    ...(r.quarantined === 1 ? { quarantined: true } : {}),
    ...(r.healed ? { healed: fromJson<HealedLocator[]>(r.healed, 'results.healed') } : {}),
    // Absent for a plain test, so its results read as before data sets existed.
    ...(r.variant !== '' ? { variant: r.variant } : {}),
    ...(r.row_label !== null ? { row: r.row_label } : {}),
  };
}

function retriesOf(r: Selectable<ResultsTable>): { retries?: AttemptRecord[] } {
  const retries = fromJson<AttemptRecord[]>(r.retries, 'results.retries');
  return retries.length > 0 ? { retries } : {};
}

/** Absent when none, like `retries`, so results of API tests stay as they were. */
function visitedOf(r: Selectable<ResultsTable>): { visitedUrls?: string[] } {
  const urls = fromJson<string[]>(r.visited_urls, 'results.visited_urls');
  return urls.length > 0 ? { visitedUrls: urls } : {};
}

/** The run counter a result adds to; keep in step with countResults in domain/verdict.ts. */
function tallyColumn(status: ResultStatus, quarantined: boolean): keyof ResultTally {
  if (quarantined) return 'quarantined';
  if (status === 'passed' || status === 'flaky' || status === 'failed' || status === 'skipped') {
    return status;
  }
  return 'errored';
}

/** The few fields of a result a progress line or a live snapshot shows. */
export type ResultHeadline = Pick<
  TestResult,
  'testId' | 'testName' | 'status' | 'attempt' | 'durationMs' | 'error'
>;

/** Where a page of results ends: the last result's start time and id. */
export interface ResultCursor {
  startedAt: string;
  id: string;
}

export function resultRepository({ db, dialect, now }: RepoContext): ResultRepository {
  return {
    async listByRun(runId, projectId) {
      let q = db.selectFrom('results').selectAll().where('run_id', '=', runId);
      if (projectId) q = q.where('project_id', '=', projectId);
      const rows = await q.orderBy('started_at').orderBy('id').execute();
      return rows.map(toResult);
    },

    async pageByRun(runId, projectId, page) {
      let q = db
        .selectFrom('results')
        .selectAll()
        .where('run_id', '=', runId)
        .where('project_id', '=', projectId);
      const after = page.after;
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('started_at', '>', after.startedAt),
            eb.and([eb('started_at', '=', after.startedAt), eb('id', '>', after.id)]),
          ]),
        );
      }
      if (page.statuses?.length) q = q.where('status', 'in', page.statuses);
      // One row more than asked tells whether another page follows.
      const rows = await q
        .orderBy('started_at')
        .orderBy('id')
        .limit(page.limit + 1)
        .execute();
      const items = rows.slice(0, page.limit).map(toResult);
      const last = items.at(-1);
      const next =
        rows.length > page.limit && last ? { startedAt: last.startedAt, id: last.id } : null;
      return { items, next };
    },

    async latestByRun(runId, projectId, limit) {
      const scoped = db
        .selectFrom('results')
        .where('run_id', '=', runId)
        .where('project_id', '=', projectId);
      const [rows, count] = await Promise.all([
        scoped
          .select(['test_id', 'test_name', 'status', 'attempt', 'duration_ms', 'error'])
          .orderBy('started_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .execute(),
        scoped.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
      ]);
      const items = rows.reverse().map((r): ResultHeadline => ({
        testId: r.test_id,
        testName: r.test_name,
        status: r.status as ResultStatus,
        attempt: r.attempt,
        durationMs: r.duration_ms,
        error: r.error,
      }));
      return { items, total: toNumber(count.n) };
    },

    async insert(projectId, r) {
      // The row and its run's counter move together: inside the caller's transaction, or one
      // of our own.
      if (!db.isTransaction) {
        return db
          .transaction()
          .execute((tx) => resultRepository({ db: tx, dialect, now }).insert(projectId, r));
      }
      const column = tallyColumn(r.status, r.quarantined === true);
      await db
        .insertInto('run_progress')
        .values({ run_id: r.runId, [column]: 1 })
        .onConflict((oc) =>
          oc
            .column('run_id')
            .doUpdateSet((eb) => ({ [column]: eb(`run_progress.${column}`, '+', 1) })),
        )
        .execute();
      await db
        .insertInto('results')
        .values({
          id: r.id,
          run_id: r.runId,
          project_id: projectId,
          test_id: r.testId,
          test_name: r.testName,
          status: r.status,
          attempt: r.attempt,
          duration_ms: Math.max(0, Math.round(r.durationMs)),
          failed_step: r.failedStep,
          error: r.error,
          steps: toJson(r.steps),
          console_errors: toJson(r.consoleErrors),
          failed_requests: toJson(r.failedRequests),
          artifacts: toJson(r.artifacts),
          visual: r.visual?.length ? toJson(r.visual) : null,
          visited_urls: toJson(r.visitedUrls ?? []),
          started_at: r.startedAt,
          finished_at: r.finishedAt,
          retries: toJson(r.retries ?? []),
          quarantined: r.quarantined ? 1 : 0,
          healed: r.healed?.length ? toJson(r.healed) : null,
          variant: r.variant ?? '',
          row_label: r.row ?? null,
        })
        .execute();
    },

    async tally(runId) {
      const row = await db
        .selectFrom('run_progress')
        .select(['passed', 'failed', 'skipped', 'errored', 'flaky', 'quarantined'])
        .where('run_id', '=', runId)
        .executeTakeFirst();
      if (!row) return { passed: 0, failed: 0, skipped: 0, errored: 0, flaky: 0, quarantined: 0 };
      return row;
    },

    async meanDurations(projectId, testIds) {
      const out = new Map<string, number>();
      // In chunks of test ids (each test's results stay in one chunk, so its mean is whole): a
      // large run's id list can pass SQLite's limit of bound parameters.
      for (const chunk of chunksOf([...new Set(testIds)])) {
        const rows = await db
          .selectFrom('results')
          .select(['test_id', (eb) => eb.fn.avg<number>('duration_ms').as('ms')])
          .where('project_id', '=', projectId)
          .where('test_id', 'in', chunk)
          .where('status', 'in', ['passed', 'failed', 'flaky'])
          .groupBy('test_id')
          .execute();
        for (const r of rows) out.set(r.test_id, toNumber(r.ms));
      }
      return out;
    },
  };
}
