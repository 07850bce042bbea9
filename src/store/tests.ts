import { randomUUID } from 'node:crypto';
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Selectable,
  type SqlBool,
} from 'kysely';
import type { Selection } from '../domain/run.ts';
import type { Step } from '../domain/steps.ts';
import type { TestDocument, TestStatus } from '../domain/test-definition.ts';
import type { Quarantine, Test } from '../domain/test.ts';
import type { Database, TestsTable } from './database.ts';
import { actionOfChange, recordVersions, snapshotOf, statusAction } from './test-history.ts';
import {
  chunksOf,
  inTransaction,
  escapeLike,
  fromJson,
  isUniqueViolation,
  toJson,
  toNumber,
  type Db,
  type RepoContext,
} from './sql-helpers.ts';

export interface TestCreateOptions {
  /** Wins over the document's own status; default `draft`. */
  status?: TestStatus;
  /** `import`, `api`, `demo`, `crawl`. */
  source: string;
  /** Who made the change, for the test's history; default: the source. */
  actor?: string;
}

/** Who changed a test and why, for its history. */
export interface TestChangeOptions {
  /** A user's email, or `cli` / `crawl` / `system`; default `system`. */
  actor?: string;
  note?: string;
}

export interface TestListQuery {
  status?: TestStatus;
  tag?: string;
  suite?: string;
  /** true: only tests a crawl flagged as stale; false: only the others. */
  stale?: boolean;
  limit: number;
  offset: number;
}

/** What reports show of a test beside its results. */
export type TestInfo = Pick<Test, 'id' | 'suite' | 'tags' | 'key'>;

export interface TestCounts {
  draft: number;
  approved: number;
  rejected: number;
  total: number;
}

export interface TestRepository {
  create(projectId: string, doc: TestDocument, opts: TestCreateOptions): Promise<Test>;
  /** Insert, or update the test with the same key (its status kept unless one is given). */
  upsertByKey(
    projectId: string,
    doc: TestDocument & { key: string },
    opts: TestCreateOptions,
  ): Promise<{ test: Test; created: boolean }>;
  list(projectId: string, q: TestListQuery): Promise<{ items: Test[]; total: number }>;
  get(projectId: string, id: string): Promise<Test | undefined>;
  /**
   * Suite, tags and key of the project's tests among `ids`, in one query per 500 ids (a report
   * of a 10,000-test run reads them in 20 queries, not 10,000). Unknown and deleted ids are left
   * out; the order is the database's.
   */
  infoByIds(projectId: string, ids: readonly string[]): Promise<TestInfo[]>;
  /** Change fields; a document change clears the stale flag. Unchanged: no write, no version. */
  update(
    projectId: string,
    id: string,
    patch: Partial<TestDocument>,
    opts?: TestChangeOptions,
  ): Promise<Test | undefined>;
  /** Soft delete: the test goes to the recycle bin (recycle-bin.ts), hidden from every read here. */
  delete(projectId: string, id: string, opts?: { actor?: string }): Promise<boolean>;
  /**
   * Review: set the status of many tests; returns how many actually changed (approving a stale
   * approved test counts: it clears the flag). Each change is recorded as a version.
   */
  setStatus(
    projectId: string,
    ids: string[],
    status: TestStatus,
    reviewer: string | null,
    opts?: { note?: string },
  ): Promise<number>;
  /** Ids of the list that are not tests of the project. */
  missingIds(projectId: string, ids: string[]): Promise<string[]>;
  /** Flag tests as stale with a reason; a test already flagged for the same reason is skipped. */
  flagStale(
    projectId: string,
    flags: { id: string; reason: string }[],
    actor: string,
  ): Promise<number>;
  counts(projectId: string): Promise<TestCounts>;
  /**
   * Quarantine a test (or release it, with null). Not a document change: no version, and the
   * test's updatedAt stays. Undefined when the test is not one of the project's.
   */
  setQuarantine(projectId: string, id: string, q: Quarantine | null): Promise<Test | undefined>;
  /** Approved tests matching a selection (criteria combine with AND, values with OR). */
  forSelection(projectId: string, sel: Selection): Promise<Test[]>;
}

function toTest(r: Selectable<TestsTable>): Test {
  return {
    id: r.id,
    projectId: r.project_id,
    key: r.key,
    name: r.name,
    description: r.description,
    suite: r.suite,
    tags: fromJson<string[]>(r.tags, 'tests.tags'),
    status: r.status as TestStatus,
    steps: fromJson<Step[]>(r.steps, 'tests.steps'),
    variables: fromJson<Record<string, string>>(r.variables, 'tests.variables'),
    timeoutMs: r.timeout_ms,
    stepTimeoutMs: r.step_timeout_ms,
    source: r.source,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    reviewedAt: r.reviewed_at,
    reviewedBy: r.reviewed_by,
    stale: r.stale_at !== null ? { reason: r.stale_reason ?? '', at: r.stale_at } : null,
    quarantine:
      r.quarantined_at !== null
        ? { reason: r.quarantine_reason ?? '', at: r.quarantined_at, by: r.quarantined_by ?? '' }
        : null,
    covers: fromJson<string[]>(r.covers, 'tests.covers'),
    dataSet: r.data_set,
  };
}

/** Columns a document sets; absent optional fields become NULL / empty. */
function documentColumns(doc: TestDocument) {
  return {
    name: doc.name,
    description: doc.description ?? null,
    suite: doc.suite ?? null,
    tags: toJson(doc.tags ?? []),
    steps: toJson(doc.steps),
    variables: toJson(doc.variables ?? {}),
    timeout_ms: doc.timeout ?? null,
    step_timeout_ms: doc.stepTimeout ?? null,
    covers: toJson(doc.covers ?? []),
    data_set: doc.data ?? null,
  };
}

/** Columns a partial document changes; only the given fields. */
function patchColumns(patch: Partial<TestDocument>): Partial<TestsTable> {
  const set: Partial<TestsTable> = {};
  if (patch.key !== undefined) set.key = patch.key;
  if (patch.name !== undefined) set.name = patch.name;
  if ('description' in patch) set.description = patch.description ?? null;
  if ('suite' in patch) set.suite = patch.suite ?? null;
  if (patch.tags !== undefined) set.tags = toJson(patch.tags);
  if (patch.status !== undefined) set.status = patch.status;
  if ('timeout' in patch) set.timeout_ms = patch.timeout ?? null;
  if ('stepTimeout' in patch) set.step_timeout_ms = patch.stepTimeout ?? null;
  if ('variables' in patch) set.variables = toJson(patch.variables ?? {});
  if (patch.steps !== undefined) set.steps = toJson(patch.steps);
  if ('covers' in patch) set.covers = toJson(patch.covers ?? []);
  if ('data' in patch) set.data_set = patch.data ?? null;
  return set;
}

/**
 * Tags live in a JSON array column; tags cannot contain quotes (schema rule), so `"tag"` inside
 * the text is an exact element match. Case-insensitive on both engines.
 */
function hasTag(eb: ExpressionBuilder<Database, 'tests'>, tag: string): Expression<SqlBool> {
  const pattern = `%"${escapeLike(tag.toLowerCase())}"%`;
  return sql<SqlBool>`lower(${eb.ref('tests.tags')}) like ${pattern} escape '\\'`;
}

/** Tests without a suite sort first on both engines (their NULL ordering differs). */
const suiteOrder = sql<string>`coalesce(suite, '')`;

/**
 * A page of a project's live tests in suite, name, id order, and their count: with no filter the
 * page is a range of the partial index `tests_list_order` read in order (claim-plan.test.ts).
 */
export function testListQueries(db: Db, projectId: string, q: TestListQuery) {
  let base = db
    .selectFrom('tests')
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null);
  if (q.status) base = base.where('status', '=', q.status);
  if (q.suite) base = base.where('suite', '=', q.suite);
  if (q.stale !== undefined) base = base.where('stale_at', q.stale ? 'is not' : 'is', null);
  if (q.tag) {
    const tag = q.tag;
    base = base.where((eb) => hasTag(eb, tag));
  }
  return {
    page: base
      .selectAll()
      .orderBy(suiteOrder)
      .orderBy('name')
      .orderBy('id')
      .limit(q.limit)
      .offset(q.offset),
    count: base.select((eb) => eb.fn.countAll<number>().as('n')),
  };
}

export function testRepository({ db, dialect, now }: RepoContext): TestRepository {
  // SQLite has no statistics here (no ANALYZE), so for `project_id = ? and id in (…500 ids)` it
  // picks the project index and walks all of the project's tests once per chunk. A unary plus
  // keeps project_id out of the index choice and the ids are found by primary key: 12-21 ms
  // instead of 60-86 ms for 10,000 ids in a 10,000-test project, and no longer growing with the
  // project. PostgreSQL is fine as it is (and has no unary plus for text).
  const projectIdByKey =
    dialect === 'sqlite' ? sql<string>`+${sql.ref('project_id')}` : sql.ref<string>('project_id');

  const rowOf = (tx: Db, projectId: string, id: string) =>
    tx
      .selectFrom('tests')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();

  const get = async (projectId: string, id: string): Promise<Test | undefined> => {
    const row = await rowOf(db, projectId, id);
    return row && toTest(row);
  };

  /**
   * Apply column changes to one test and record the change as a version, in one transaction.
   * A document change (or an approval) clears the stale flag; a change that changes nothing is
   * not written at all, so re-importing the same files leaves no trail.
   */
  const change = (
    projectId: string,
    find: (tx: Db) => Promise<Selectable<TestsTable> | undefined>,
    set: Partial<TestsTable>,
    opts: TestChangeOptions,
  ): Promise<Test | undefined> =>
    inTransaction(db, async (tx) => {
      const before = await find(tx);
      if (!before) return undefined;
      const planned = { ...before, ...set };
      const docChanged = toJson(snapshotOf(before)) !== toJson(snapshotOf(planned));
      const statusChanged = planned.status !== before.status;
      if (!docChanged && !statusChanged && planned.source === before.source) return toTest(before);
      const at = now();
      const actor = opts.actor ?? 'system';
      const after = await tx
        .updateTable('tests')
        .set({
          ...set,
          updated_at: at,
          ...(statusChanged ? { reviewed_at: at, reviewed_by: actor } : {}),
          ...(docChanged || planned.status === 'approved'
            ? { stale_reason: null, stale_at: null }
            : {}),
        })
        .where('project_id', '=', projectId)
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const action = actionOfChange(before, after);
      if (action)
        await recordVersions(tx, at, [{ row: after, action, actor, note: opts.note ?? null }]);
      return toTest(after);
    });

  const repo: TestRepository = {
    create(projectId, doc, opts) {
      return inTransaction(db, async (tx) => {
        const at = now();
        const row: Selectable<TestsTable> = {
          id: randomUUID(),
          project_id: projectId,
          key: doc.key ?? null,
          ...documentColumns(doc),
          status: opts.status ?? doc.status ?? 'draft',
          source: opts.source,
          created_at: at,
          updated_at: at,
          reviewed_at: null,
          reviewed_by: null,
          stale_reason: null,
          stale_at: null,
          quarantine_reason: null,
          quarantined_at: null,
          quarantined_by: null,
          deleted_at: null,
          deleted_by: null,
        };
        await tx.insertInto('tests').values(row).execute();
        await recordVersions(tx, at, [
          { row, action: 'created', actor: opts.actor ?? opts.source },
        ]);
        return toTest(row);
      });
    },

    async upsertByKey(projectId, doc, opts) {
      const status = opts.status ?? doc.status;
      const update = (): Promise<Test | undefined> =>
        change(
          projectId,
          (tx) =>
            tx
              .selectFrom('tests')
              .selectAll()
              .where('project_id', '=', projectId)
              .where('key', '=', doc.key)
              .where('deleted_at', 'is', null)
              .executeTakeFirst(),
          { ...documentColumns(doc), ...(status ? { status } : {}), source: opts.source },
          { actor: opts.actor ?? opts.source },
        );
      const updated = await update();
      if (updated) return { test: updated, created: false };
      try {
        return { test: await repo.create(projectId, doc, opts), created: true };
      } catch (e) {
        // Another import inserted the same key between our update and insert.
        if (!isUniqueViolation(e)) throw e;
        const again = await update();
        if (!again) throw e;
        return { test: again, created: false };
      }
    },

    async list(projectId, q) {
      const { page, count } = testListQueries(db, projectId, q);
      const [rows, n] = await Promise.all([page.execute(), count.executeTakeFirstOrThrow()]);
      return { items: rows.map(toTest), total: toNumber(n.n) };
    },

    get,

    async infoByIds(projectId, ids) {
      const out: TestInfo[] = [];
      for (const chunk of chunksOf([...new Set(ids)])) {
        const rows = await db
          .selectFrom('tests')
          .select(['id', 'suite', 'tags', 'key'])
          .where(projectIdByKey, '=', projectId)
          .where('id', 'in', chunk)
          .where('deleted_at', 'is', null)
          .execute();
        for (const r of rows) {
          out.push({ id: r.id, suite: r.suite, tags: fromJson(r.tags, 'tests.tags'), key: r.key });
        }
      }
      return out;
    },

    update(projectId, id, patch, opts = {}) {
      return change(projectId, (tx) => rowOf(tx, projectId, id), patchColumns(patch), opts);
    },

    async delete(projectId, id, opts = {}) {
      const at = now();
      const r = await db
        .updateTable('tests')
        .set({ deleted_at: at, deleted_by: opts.actor ?? null })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    setStatus(projectId, ids, status, reviewer, opts = {}) {
      if (ids.length === 0) return Promise.resolve(0);
      return inTransaction(db, async (tx) => {
        const at = now();
        const rows = await tx
          .updateTable('tests')
          .set({
            status,
            reviewed_at: at,
            reviewed_by: reviewer,
            updated_at: at,
            ...(status === 'approved' ? { stale_reason: null, stale_at: null } : {}),
          })
          .where('project_id', '=', projectId)
          .where('id', 'in', ids)
          .where('deleted_at', 'is', null)
          .where((eb) =>
            status === 'approved'
              ? eb.or([eb('status', '<>', status), eb('stale_at', 'is not', null)])
              : eb('status', '<>', status),
          )
          .returningAll()
          .execute();
        const actor = reviewer ?? 'system';
        const action = statusAction(status);
        await recordVersions(
          tx,
          at,
          rows.map((row) => ({ row, action, actor, note: opts.note ?? null })),
        );
        return rows.length;
      });
    },

    async missingIds(projectId, ids) {
      const known = new Set<string>();
      // In chunks: a run's id list can pass SQLite's limit of bound parameters.
      for (const chunk of chunksOf([...new Set(ids)])) {
        const found = await db
          .selectFrom('tests')
          .select('id')
          .where('project_id', '=', projectId)
          .where('id', 'in', chunk)
          .where('deleted_at', 'is', null)
          .execute();
        for (const r of found) known.add(r.id);
      }
      return ids.filter((id) => !known.has(id));
    },

    flagStale(projectId, flags, actor) {
      if (flags.length === 0) return Promise.resolve(0);
      return inTransaction(db, async (tx) => {
        const at = now();
        let flagged = 0;
        for (const { id, reason } of flags) {
          const row = await tx
            .updateTable('tests')
            .set({ stale_reason: reason, stale_at: at })
            .where('project_id', '=', projectId)
            .where('id', '=', id)
            .where('deleted_at', 'is', null)
            .where((eb) =>
              eb.or([eb('stale_reason', 'is', null), eb('stale_reason', '<>', reason)]),
            )
            .returningAll()
            .executeTakeFirst();
          if (!row) continue;
          await recordVersions(tx, at, [{ row, action: 'flagged_stale', actor, note: reason }]);
          flagged++;
        }
        return flagged;
      });
    },

    async counts(projectId) {
      const rows = await db
        .selectFrom('tests')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('project_id', '=', projectId)
        .where('deleted_at', 'is', null)
        .groupBy('status')
        .execute();
      const c: TestCounts = { draft: 0, approved: 0, rejected: 0, total: 0 };
      for (const r of rows) {
        const n = toNumber(r.n);
        if (r.status === 'draft' || r.status === 'approved' || r.status === 'rejected') {
          c[r.status] += n;
        }
        c.total += n;
      }
      return c;
    },

    async setQuarantine(projectId, id, q) {
      const row = await db
        .updateTable('tests')
        .set({
          quarantine_reason: q?.reason ?? null,
          quarantined_at: q?.at ?? null,
          quarantined_by: q?.by ?? null,
        })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row && toTest(row);
    },

    async forSelection(projectId, sel) {
      let q = db
        .selectFrom('tests')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('deleted_at', 'is', null)
        .where('status', '=', 'approved');
      const suites = sel.suites ?? [];
      const tags = sel.tags ?? [];
      const ids = sel.testIds ?? [];
      if (suites.length > 0) q = q.where('suite', 'in', suites);
      if (ids.length > 0) q = q.where('id', 'in', ids);
      if (tags.length > 0) q = q.where((eb) => eb.or(tags.map((t) => hasTag(eb, t))));
      const rows = await q.orderBy(suiteOrder).orderBy('name').orderBy('id').execute();
      return rows.map(toTest);
    },
  };
  return repo;
}
