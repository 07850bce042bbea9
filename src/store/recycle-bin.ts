import { sql } from 'kysely';
import { AppError } from '../domain/errors.ts';
import type { Database } from './database.ts';
import {
  inTransaction,
  isUniqueViolation,
  toNumber,
  type Db,
  type RepoContext,
} from './sql-helpers.ts';

/** A project in the recycle bin. */
export interface DeletedProject {
  id: string;
  slug: string;
  name: string;
  workspaceId: string | null;
  deletedAt: string;
  deletedBy: string | null;
  /** Its tests (live or deleted), all purged with it. */
  tests: number;
  runs: number;
}

/** A test in the recycle bin, with its project (which may be in the bin too). */
export interface DeletedTest {
  id: string;
  projectId: string;
  projectSlug: string;
  projectName: string;
  /** True while the project is deleted: restore the project first. */
  projectDeleted: boolean;
  workspaceId: string | null;
  key: string | null;
  name: string;
  suite: string | null;
  status: string;
  deletedAt: string;
  deletedBy: string | null;
}

/** What a purge removed from the database, so the caller can remove the files beside it. */
export interface PurgedFiles {
  /** Runs whose artifact folders (`<dataDir>/artifacts/<runId>`) go too. */
  runIds: string[];
  /** Visual baseline images, relative to the data dir. */
  baselinePaths: string[];
}

/**
 * Tables holding a project's rows, children before parents, in the order a purge deletes them.
 * A table with a `project_id` column that is not listed here fails recycle-bin-store.test.ts:
 * a purge must never leave rows of a purged project behind.
 */
export const PROJECT_TABLES = [
  'deliveries',
  'run_callbacks',
  'notification_evaluations',
  'notification_channels',
  'idempotency_keys',
  'run_triggers',
  'run_crawls',
  'run_notes',
  'run_stream_events',
  'run_stream_heads',
  'scan_findings',
  'scan_approvals',
  'scans',
  'scan_audit',
  'scan_configs',
  'scan_packs',
  'scan_suppressions',
  'jobs',
  'results',
  'schedules',
  'run_counts',
  'runs',
  'crawls',
  'locator_memory',
  'test_versions',
  'visual_baselines',
  'tests',
  'environments',
  'data_sets',
  'suite_settings',
  'project_secrets',
  'trigger_tokens',
] as const satisfies readonly (keyof Database)[];

/** A deleted item with what the cleanup needs to judge it. */
export interface ExpiringItem {
  kind: 'project' | 'test';
  id: string;
  /** The project itself, or the test's project. */
  projectId: string;
  workspaceId: string | null;
  deletedAt: string;
}

export interface RecycleBinRepository {
  /** Deleted projects and tests of a workspace, newest first, at most `limit` of each. */
  list(
    workspaceId: string,
    limit: number,
  ): Promise<{ projects: DeletedProject[]; tests: DeletedTest[] }>;
  /** A deleted project of the workspace. */
  project(workspaceId: string, id: string): Promise<DeletedProject | undefined>;
  /** A deleted test of the workspace. */
  test(workspaceId: string, id: string): Promise<DeletedTest | undefined>;
  /** Bring a deleted project back; conflict when a live project took its slug meanwhile. */
  restoreProject(id: string): Promise<boolean>;
  /** Bring a deleted test back; conflict when a live test of the project took its key. */
  restoreTest(id: string): Promise<boolean>;
  /** Delete a project and everything of it for good (live tests and runs included). */
  purgeProject(id: string): Promise<PurgedFiles>;
  /** Delete a deleted test for good (its versions, locator memory and baselines go with it). */
  purgeTest(id: string): Promise<PurgedFiles>;
  /** Every deleted project and test deleted before `before`, with its workspace (any workspace). */
  deletedBefore(before: string): Promise<ExpiringItem[]>;
}

const restoreConflict = (what: string, taken: string, value: string): AppError =>
  new AppError(
    'conflict',
    `a live ${what} has the ${taken} "${value}" now: rename or delete it, then restore`,
    { [taken]: value },
  );

function deletedProjects(db: Db) {
  return db
    .selectFrom('projects as p')
    .where('p.deleted_at', 'is not', null)
    .select([
      'p.id',
      'p.slug',
      'p.name',
      'p.workspace_id',
      'p.deleted_at',
      'p.deleted_by',
      (eb) =>
        eb
          .selectFrom('tests')
          .whereRef('tests.project_id', '=', 'p.id')
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('tests'),
      (eb) =>
        eb
          .selectFrom('runs')
          .whereRef('runs.project_id', '=', 'p.id')
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('runs'),
    ]);
}

function deletedTests(db: Db) {
  return db
    .selectFrom('tests as t')
    .innerJoin('projects as p', 'p.id', 't.project_id')
    .where('t.deleted_at', 'is not', null)
    .select([
      't.id',
      't.project_id',
      'p.slug as project_slug',
      'p.name as project_name',
      'p.deleted_at as project_deleted_at',
      'p.workspace_id',
      't.key',
      't.name',
      't.suite',
      't.status',
      't.deleted_at',
      't.deleted_by',
    ]);
}

type ProjectRow = Awaited<ReturnType<ReturnType<typeof deletedProjects>['execute']>>[number];
type TestRow = Awaited<ReturnType<ReturnType<typeof deletedTests>['execute']>>[number];

const toDeletedProject = (r: ProjectRow): DeletedProject => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  workspaceId: r.workspace_id,
  deletedAt: r.deleted_at ?? '',
  deletedBy: r.deleted_by,
  tests: toNumber(r.tests),
  runs: toNumber(r.runs),
});

const toDeletedTest = (r: TestRow): DeletedTest => ({
  id: r.id,
  projectId: r.project_id,
  projectSlug: r.project_slug,
  projectName: r.project_name,
  projectDeleted: r.project_deleted_at !== null,
  workspaceId: r.workspace_id,
  key: r.key,
  name: r.name,
  suite: r.suite,
  status: r.status,
  deletedAt: r.deleted_at ?? '',
  deletedBy: r.deleted_by,
});

/** Soft-deleted projects and tests: list, restore, purge (see engine/recycle-bin.ts). */
export function recycleBinRepository({ db }: RepoContext): RecycleBinRepository {
  return {
    async list(workspaceId, limit) {
      const [projects, tests] = await Promise.all([
        deletedProjects(db)
          .where('p.workspace_id', '=', workspaceId)
          .orderBy('p.deleted_at', 'desc')
          .orderBy('p.id')
          .limit(limit)
          .execute(),
        deletedTests(db)
          .where('p.workspace_id', '=', workspaceId)
          .orderBy('t.deleted_at', 'desc')
          .orderBy('t.id')
          .limit(limit)
          .execute(),
      ]);
      return { projects: projects.map(toDeletedProject), tests: tests.map(toDeletedTest) };
    },

    async project(workspaceId, id) {
      const row = await deletedProjects(db)
        .where('p.workspace_id', '=', workspaceId)
        .where('p.id', '=', id)
        .executeTakeFirst();
      return row && toDeletedProject(row);
    },

    async test(workspaceId, id) {
      const row = await deletedTests(db)
        .where('p.workspace_id', '=', workspaceId)
        .where('t.id', '=', id)
        .executeTakeFirst();
      return row && toDeletedTest(row);
    },

    async restoreProject(id) {
      try {
        const r = await db
          .updateTable('projects')
          .set({ deleted_at: null, deleted_by: null })
          .where('id', '=', id)
          .where('deleted_at', 'is not', null)
          .returning('slug')
          .executeTakeFirst();
        return r !== undefined;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        const row = await db
          .selectFrom('projects')
          .select('slug')
          .where('id', '=', id)
          .executeTakeFirst();
        throw restoreConflict('project', 'slug', row?.slug ?? '');
      }
    },

    async restoreTest(id) {
      try {
        const r = await db
          .updateTable('tests')
          .set({ deleted_at: null, deleted_by: null })
          .where('id', '=', id)
          .where('deleted_at', 'is not', null)
          .executeTakeFirst();
        return r.numUpdatedRows > 0n;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        const row = await db
          .selectFrom('tests')
          .select('key')
          .where('id', '=', id)
          .executeTakeFirst();
        throw restoreConflict('test of the project', 'key', row?.key ?? '');
      }
    },

    purgeProject(id) {
      return inTransaction(db, async (tx) => {
        const runs = await tx
          .selectFrom('runs')
          .select('id')
          .where('project_id', '=', id)
          .execute();
        const baselines = await tx
          .selectFrom('visual_baselines')
          .select('path')
          .where('project_id', '=', id)
          .execute();
        await tx
          .deleteFrom('delivery_attempts')
          .where('delivery_id', 'in', (eb) =>
            eb.selectFrom('deliveries').select('id').where('project_id', '=', id),
          )
          .execute();
        for (const table of PROJECT_TABLES) {
          // Every listed table has project_id; Kysely cannot type a table name from a list.
          await sql`delete from ${sql.table(table)} where project_id = ${id}`.execute(tx);
        }
        await tx.deleteFrom('projects').where('id', '=', id).execute();
        return { runIds: runs.map((r) => r.id), baselinePaths: baselines.map((b) => b.path) };
      });
    },

    purgeTest(id) {
      return inTransaction(db, async (tx) => {
        const baselines = await tx
          .selectFrom('visual_baselines')
          .select('path')
          .where('test_id', '=', id)
          .execute();
        // Versions, locator memory and baselines cascade (ON DELETE CASCADE on test_id).
        await tx
          .deleteFrom('tests')
          .where('id', '=', id)
          .where('deleted_at', 'is not', null)
          .execute();
        return { runIds: [], baselinePaths: baselines.map((b) => b.path) };
      });
    },

    async deletedBefore(before) {
      const [projects, tests] = await Promise.all([
        db
          .selectFrom('projects')
          .select(['id', 'workspace_id', 'deleted_at'])
          .where('deleted_at', 'is not', null)
          .where('deleted_at', '<', before)
          .execute(),
        db
          .selectFrom('tests as t')
          .innerJoin('projects as p', 'p.id', 't.project_id')
          .select(['t.id', 't.project_id', 'p.workspace_id', 't.deleted_at'])
          .where('t.deleted_at', 'is not', null)
          .where('t.deleted_at', '<', before)
          .execute(),
      ]);
      return [
        ...projects.map((r) => ({
          kind: 'project' as const,
          id: r.id,
          projectId: r.id,
          workspaceId: r.workspace_id,
          deletedAt: r.deleted_at ?? '',
        })),
        ...tests.map((r) => ({
          kind: 'test' as const,
          id: r.id,
          projectId: r.project_id,
          workspaceId: r.workspace_id,
          deletedAt: r.deleted_at ?? '',
        })),
      ];
    },
  };
}
