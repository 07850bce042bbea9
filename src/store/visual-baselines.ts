import type { Selectable } from 'kysely';
import type { VisualBaseline } from '../domain/visual.ts';
import type { VisualBaselinesTable } from './database.ts';
import type { RepoContext } from './sql-helpers.ts';

/** Which screenshot a baseline belongs to. */
export interface BaselineKey {
  testId: string;
  name: string;
  variant: string;
}

export interface VisualBaselineRepository {
  /** The baseline of one screenshot in one variant, if recorded. */
  find(projectId: string, key: BaselineKey): Promise<VisualBaseline | undefined>;
  get(projectId: string, id: string): Promise<VisualBaseline | undefined>;
  /** Every baseline of a project (optionally of one test), by test, name and variant. */
  list(projectId: string, testId?: string): Promise<VisualBaseline[]>;
  /**
   * Record a first baseline; false when one exists already (a parallel attempt won), which is
   * left as it is.
   */
  insertIfAbsent(b: VisualBaseline): Promise<boolean>;
  /** Point an existing baseline (same key) at a new image; returns the one it replaced. */
  replace(b: VisualBaseline): Promise<VisualBaseline | undefined>;
  /** Returns the deleted baseline, so its file can be removed. */
  delete(projectId: string, id: string): Promise<VisualBaseline | undefined>;
}

function toBaseline(r: Selectable<VisualBaselinesTable>): VisualBaseline {
  return {
    id: r.id,
    projectId: r.project_id,
    testId: r.test_id,
    name: r.name,
    variant: r.variant,
    path: r.path,
    sha256: r.sha256,
    width: r.width,
    height: r.height,
    createdAt: r.created_at,
    acceptedBy: r.accepted_by,
    sourceRunId: r.source_run_id,
  };
}

/** The columns an accepted image replaces; the key columns stay. */
function imageColumns(b: VisualBaseline) {
  return {
    path: b.path,
    sha256: b.sha256,
    width: b.width,
    height: b.height,
    created_at: b.createdAt,
    accepted_by: b.acceptedBy,
    source_run_id: b.sourceRunId,
  };
}

function toRow(b: VisualBaseline): VisualBaselinesTable {
  return {
    id: b.id,
    project_id: b.projectId,
    test_id: b.testId,
    name: b.name,
    variant: b.variant,
    ...imageColumns(b),
  };
}

export function visualBaselineRepository({ db }: RepoContext): VisualBaselineRepository {
  const find: VisualBaselineRepository['find'] = async (projectId, key) => {
    const row = await db
      .selectFrom('visual_baselines')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('test_id', '=', key.testId)
      .where('name', '=', key.name)
      .where('variant', '=', key.variant)
      .executeTakeFirst();
    return row ? toBaseline(row) : undefined;
  };

  return {
    find,

    async get(projectId, id) {
      const row = await db
        .selectFrom('visual_baselines')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toBaseline(row) : undefined;
    },

    async list(projectId, testId) {
      let q = db
        .selectFrom('visual_baselines')
        .selectAll()
        .where('project_id', '=', projectId)
        // Baselines of a test in the recycle bin are kept for a restore, not listed.
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('tests')
              .select('tests.id')
              .whereRef('tests.id', '=', 'visual_baselines.test_id')
              .where('tests.deleted_at', 'is', null),
          ),
        );
      if (testId) q = q.where('test_id', '=', testId);
      const rows = await q.orderBy('test_id').orderBy('name').orderBy('variant').execute();
      return rows.map(toBaseline);
    },

    async insertIfAbsent(b) {
      // ON CONFLICT DO NOTHING on the unique key: portable across SQLite and PostgreSQL.
      const r = await db
        .insertInto('visual_baselines')
        .values(toRow(b))
        .onConflict((oc) => oc.columns(['project_id', 'test_id', 'name', 'variant']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async replace(b) {
      const old = await find(b.projectId, b);
      if (!old) {
        await db.insertInto('visual_baselines').values(toRow(b)).execute();
        return undefined;
      }
      await db
        .updateTable('visual_baselines')
        .set(imageColumns(b))
        .where('id', '=', old.id)
        .execute();
      return old;
    },

    async delete(projectId, id) {
      const row = await db
        .deleteFrom('visual_baselines')
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toBaseline(row) : undefined;
    },
  };
}
