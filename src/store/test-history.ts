import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { Step } from '../domain/steps.ts';
import type { TestDocument, TestStatus } from '../domain/test-definition.ts';
import type { Database, TestsTable, TestVersionsTable } from './database.ts';
import { fromJson, toJson, type Db, type RepoContext } from './sql-helpers.ts';

/** Why a version was recorded. */
export const testVersionActions = [
  'created',
  'edited',
  'approved',
  'rejected',
  'restored',
  'flagged_stale',
] as const;
export type TestVersionAction = (typeof testVersionActions)[number];

/** A test document as it was at one version; the review status is kept beside it. */
export type TestSnapshot = Omit<TestDocument, 'status'>;

/** One recorded state of a test. */
export interface TestVersion {
  id: string;
  projectId: string;
  testId: string;
  /** 1 for the first state, then +1 per recorded change. */
  version: number;
  document: TestSnapshot;
  status: TestStatus;
  action: TestVersionAction;
  /** User email, or the source of the change (`crawl`, `import`, `demo`, `cli`…). */
  actor: string;
  note: string | null;
  at: string;
}

export interface TestHistoryRepository {
  /** Versions of a test, newest first; empty when the project has no such test. */
  list(projectId: string, testId: string): Promise<TestVersion[]>;
  get(projectId: string, testId: string, version: number): Promise<TestVersion | undefined>;
}

/** The columns a snapshot is made of (the migration builds snapshots from older rows too). */
type DocumentColumns = Partial<Pick<Selectable<TestsTable>, 'covers' | 'data_set'>> &
  Pick<
    Selectable<TestsTable>,
    | 'key'
    | 'name'
    | 'description'
    | 'suite'
    | 'tags'
    | 'steps'
    | 'variables'
    | 'timeout_ms'
    | 'step_timeout_ms'
  >;

/**
 * The test document of a row, in the order a test file is written and without empty optional
 * fields, so its YAML form reads like the file a user would write.
 */
export function snapshotOf(r: DocumentColumns): TestSnapshot {
  const variables = fromJson<Record<string, string>>(r.variables, 'tests.variables');
  // Rows read by migrations older than 013 have no covers column.
  const covers = r.covers ? fromJson<string[]>(r.covers, 'tests.covers') : [];
  return {
    ...(r.key !== null ? { key: r.key } : {}),
    name: r.name,
    ...(r.description !== null ? { description: r.description } : {}),
    ...(r.suite !== null ? { suite: r.suite } : {}),
    tags: fromJson<string[]>(r.tags, 'tests.tags'),
    ...(r.timeout_ms !== null ? { timeout: r.timeout_ms } : {}),
    ...(r.step_timeout_ms !== null ? { stepTimeout: r.step_timeout_ms } : {}),
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
    ...(covers.length > 0 ? { covers } : {}),
    // Rows read by migrations older than 016 have no data_set column.
    ...(r.data_set ? { data: r.data_set } : {}),
    steps: fromJson<Step[]>(r.steps, 'tests.steps'),
  };
}

/** One change to record: the test row as it is after the change. */
export interface VersionEntry {
  row: Selectable<TestsTable>;
  action: TestVersionAction;
  actor: string;
  note?: string | null;
}

/** Action of an update that changed the document or only the status (null: nothing changed). */
export function actionOfChange(
  before: Selectable<TestsTable>,
  after: Selectable<TestsTable>,
): TestVersionAction | null {
  if (toJson(snapshotOf(before)) !== toJson(snapshotOf(after))) return 'edited';
  if (before.status !== after.status) return statusAction(after.status as TestStatus);
  return null;
}

/** The action a status change is recorded as. */
export function statusAction(status: TestStatus): TestVersionAction {
  return status === 'approved' ? 'approved' : status === 'rejected' ? 'rejected' : 'restored';
}

/**
 * Append a version per entry, numbered after the test's latest. Call it after the write that
 * changed the test, in the same transaction: on PostgreSQL that write holds the row lock, so
 * concurrent changes of one test number their versions one after the other.
 */
export async function recordVersions(db: Db, at: string, entries: VersionEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const ids = [...new Set(entries.map((e) => e.row.id))];
  const latest = await db
    .selectFrom('test_versions')
    .select(['test_id', (eb) => eb.fn.max('version').as('v')])
    .where('test_id', 'in', ids)
    .groupBy('test_id')
    .execute();
  const next = new Map(latest.map((r) => [r.test_id, Number(r.v ?? 0)]));
  const values: TestVersionsTable[] = entries.map((e) => {
    const version = (next.get(e.row.id) ?? 0) + 1;
    next.set(e.row.id, version);
    return {
      id: randomUUID(),
      project_id: e.row.project_id,
      test_id: e.row.id,
      version,
      document: toJson(snapshotOf(e.row)),
      status: e.row.status,
      action: e.action,
      actor: e.actor,
      note: e.note ?? null,
      at,
    };
  });
  await db.insertInto('test_versions').values(values).execute();
}

function toVersion(r: Selectable<TestVersionsTable>): TestVersion {
  return {
    id: r.id,
    projectId: r.project_id,
    testId: r.test_id,
    version: Number(r.version),
    document: fromJson<TestSnapshot>(r.document, 'test_versions.document'),
    status: r.status as TestStatus,
    action: r.action as TestVersionAction,
    actor: r.actor,
    note: r.note,
    at: r.at,
  };
}

export function testHistoryRepository({ db }: RepoContext): TestHistoryRepository {
  // A test in the recycle bin keeps its versions (for a restore) but shows none of them.
  const ofLiveTest = (eb: ExpressionBuilder<Database, 'test_versions'>) =>
    eb.exists(
      eb
        .selectFrom('tests')
        .select('tests.id')
        .whereRef('tests.id', '=', 'test_versions.test_id')
        .where('tests.deleted_at', 'is', null),
    );
  return {
    async list(projectId, testId) {
      const rows = await db
        .selectFrom('test_versions')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('test_id', '=', testId)
        .where(ofLiveTest)
        .orderBy('version', 'desc')
        .execute();
      return rows.map(toVersion);
    },

    async get(projectId, testId, version) {
      const row = await db
        .selectFrom('test_versions')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('test_id', '=', testId)
        .where('version', '=', version)
        .where(ofLiveTest)
        .executeTakeFirst();
      return row && toVersion(row);
    },
  };
}
