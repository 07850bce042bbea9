import type { Selectable } from 'kysely';
import type {
  Artifacts,
  ConsoleEntry,
  FailedRequest,
  ResultStatus,
  StepResult,
  TestResult,
} from '../domain/run.ts';
import type { ResultsTable } from './database.ts';
import { fromJson, toJson, toNumber, type Db, type RepoContext } from './sql-helpers.ts';

/** Result counts of a run by status (the run's total comes from its plan). */
export interface ResultTally {
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
}

export interface ResultRepository {
  /** Results of a run in the order they started; pass projectId to scope to one project. */
  listByRun(runId: string, projectId?: string | null): Promise<TestResult[]>;
  /** One small row insert; the queue calls it in the same transaction as the job update. */
  insert(projectId: string, result: TestResult): Promise<void>;
  /** Counted by SQL, so run counts are always derivable from the result rows. */
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
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const emptyTally = (): ResultTally => ({ passed: 0, failed: 0, skipped: 0, errored: 0 });

/** Tallies of many runs in one grouped query (runs.list uses it for unfinished runs). */
export async function tallyRuns(db: Db, runIds: string[]): Promise<Map<string, ResultTally>> {
  const out = new Map<string, ResultTally>();
  if (runIds.length === 0) return out;
  const rows = await db
    .selectFrom('results')
    .select(['run_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', 'in', runIds)
    .groupBy(['run_id', 'status'])
    .execute();
  for (const id of runIds) out.set(id, emptyTally());
  for (const r of rows) {
    const t = out.get(r.run_id) ?? emptyTally();
    const n = toNumber(r.n);
    if (r.status === 'passed') t.passed += n;
    else if (r.status === 'failed') t.failed += n;
    else if (r.status === 'skipped') t.skipped += n;
    else t.errored += n;
    out.set(r.run_id, t);
  }
  return out;
}

export function resultRepository({ db }: RepoContext): ResultRepository {
  return {
    async listByRun(runId, projectId) {
      let q = db.selectFrom('results').selectAll().where('run_id', '=', runId);
      if (projectId) q = q.where('project_id', '=', projectId);
      const rows = await q.orderBy('started_at').orderBy('id').execute();
      return rows.map(toResult);
    },

    async insert(projectId, r) {
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
          started_at: r.startedAt,
          finished_at: r.finishedAt,
        })
        .execute();
    },

    async tally(runId) {
      return (await tallyRuns(db, [runId])).get(runId) ?? emptyTally();
    },

    async meanDurations(projectId, testIds) {
      const out = new Map<string, number>();
      if (testIds.length === 0) return out;
      const rows = await db
        .selectFrom('results')
        .select(['test_id', (eb) => eb.fn.avg<number>('duration_ms').as('ms')])
        .where('project_id', '=', projectId)
        .where('test_id', 'in', testIds)
        .where('status', 'in', ['passed', 'failed'])
        .groupBy('test_id')
        .execute();
      for (const r of rows) out.set(r.test_id, toNumber(r.ms));
      return out;
    },
  };
}
