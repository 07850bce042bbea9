import { sql } from 'kysely';
import { chunksOf, fromJson, toNumber, type RepoContext } from './sql-helpers.ts';

/** One past result of a test, as selection and planning read it. */
export interface PastResult {
  testId: string;
  runId: string;
  status: string;
  durationMs: number;
  visitedUrls: string[];
  startedAt: string;
}

export interface LatestResultsQuery {
  /** Results per test, newest first. */
  limit: number;
  /** Only results with one of these statuses (default: all). */
  statuses?: string[];
}

export interface ResultHistoryRepository {
  /** The latest results of each test (newest first), keyed by test id. */
  latest(
    projectId: string,
    testIds: string[],
    q: LatestResultsQuery,
  ): Promise<Map<string, PastResult[]>>;
  /**
   * The project's newest finished, not cancelled run; with `branch`, the newest one whose
   * trigger named that git ref.
   */
  lastFinishedRunId(projectId: string, opts?: { branch?: string }): Promise<string | null>;
}

export function resultHistoryRepository({ db }: RepoContext): ResultHistoryRepository {
  return {
    async latest(projectId, testIds, q) {
      const out = new Map<string, PastResult[]>();
      for (const chunk of chunksOf([...new Set(testIds)])) {
        let inner = db
          .selectFrom('results')
          .select([
            'test_id',
            'run_id',
            'status',
            'duration_ms',
            'visited_urls',
            'started_at',
            sql<number>`row_number() over (partition by test_id order by started_at desc, id desc)`.as(
              'rn',
            ),
          ])
          .where('project_id', '=', projectId)
          .where('test_id', 'in', chunk);
        if (q.statuses) inner = inner.where('status', 'in', q.statuses);
        const rows = await db
          .selectFrom(inner.as('r'))
          .selectAll()
          .where('rn', '<=', q.limit)
          .orderBy('test_id')
          .orderBy('rn')
          .execute();
        for (const r of rows) {
          const list = out.get(r.test_id) ?? [];
          list.push({
            testId: r.test_id,
            runId: r.run_id,
            status: r.status,
            durationMs: toNumber(r.duration_ms),
            visitedUrls: fromJson<string[]>(r.visited_urls, 'results.visited_urls'),
            startedAt: r.started_at,
          });
          out.set(r.test_id, list);
        }
      }
      return out;
    },

    async lastFinishedRunId(projectId, opts = {}) {
      let q = db
        .selectFrom('runs')
        .select('runs.id')
        .where('runs.project_id', '=', projectId)
        .where('runs.status', 'in', ['passed', 'failed', 'error']);
      if (opts.branch !== undefined) {
        const branch = opts.branch;
        q = q
          .innerJoin('run_triggers', 'run_triggers.run_id', 'runs.id')
          .where('run_triggers.git_ref', '=', branch);
      }
      const row = await q
        .orderBy('runs.created_at', 'desc')
        .orderBy('runs.id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.id ?? null;
    },
  };
}
