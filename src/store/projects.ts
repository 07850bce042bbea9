import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { AppError, notFound } from '../domain/errors.ts';
import type { ConcurrencyPolicy, Project } from '../domain/project.ts';
import type { ProjectsTable } from './database.ts';
import { isUniqueViolation, type RepoContext } from './sql-helpers.ts';

/** Parallel browser contexts of a new project when the caller does not say. */
const DEFAULT_PARALLEL_WORKERS = 2;

export interface NewProject {
  slug: string;
  name: string;
  baseUrl: string;
  parallelWorkers?: number;
  /** Owning workspace; default: the default workspace (none before the first user exists). */
  workspaceId?: string;
}

export type ProjectPatch = Partial<
  Pick<
    Project,
    | 'name'
    | 'baseUrl'
    | 'parallelWorkers'
    | 'slug'
    | 'retries'
    | 'failOnFlaky'
    | 'healing'
    | 'statusContext'
    | 'concurrencyPolicy'
  >
>;

export interface ProjectRepository {
  create(i: NewProject): Promise<Project>;
  /** Live (not deleted) projects, by name; only those of `workspaceId` when given. */
  list(workspaceId?: string): Promise<Project[]>;
  /** A live project by id or slug. */
  get(idOrSlug: string): Promise<Project | undefined>;
  /** Throws not_found for a missing or deleted project, conflict for a taken slug. */
  update(id: string, patch: ProjectPatch): Promise<Project>;
  /**
   * Move the project to the recycle bin (recycle-bin.ts): hidden from every read here, and its
   * trigger tokens hard-deleted (a deleted project opens nothing; a restore does not revive them).
   */
  softDelete(id: string, opts?: { actor?: string }): Promise<void>;
}

function toProject(r: Selectable<ProjectsTable>): Project {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    baseUrl: r.base_url,
    parallelWorkers: r.parallel_workers,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    workspaceId: r.workspace_id,
    retries: r.retries,
    failOnFlaky: r.fail_on_flaky === 1,
    healing: r.healing === 1,
    statusContext: r.status_context ?? null,
    concurrencyPolicy: r.concurrency_policy as ConcurrencyPolicy,
  };
}

const slugTaken = (slug: string): AppError =>
  new AppError('conflict', `a project with slug "${slug}" already exists`, { slug });

export function projectRepository({ db, now }: RepoContext): ProjectRepository {
  const repo: ProjectRepository = {
    async create(i) {
      const at = now();
      const workspaceId =
        i.workspaceId ??
        (
          await db
            .selectFrom('workspaces')
            .select('id')
            .where('is_default', '=', 1)
            .executeTakeFirst()
        )?.id ??
        null;
      const row: Selectable<ProjectsTable> = {
        id: randomUUID(),
        slug: i.slug,
        name: i.name,
        base_url: i.baseUrl,
        parallel_workers: i.parallelWorkers ?? DEFAULT_PARALLEL_WORKERS,
        created_at: at,
        updated_at: at,
        deleted_at: null,
        deleted_by: null,
        workspace_id: workspaceId,
        retries: 0,
        fail_on_flaky: 0,
        healing: 1,
        status_context: null,
        concurrency_policy: 'reject',
      };
      try {
        await db.insertInto('projects').values(row).execute();
      } catch (e) {
        if (isUniqueViolation(e)) throw slugTaken(i.slug);
        throw e;
      }
      return toProject(row);
    },

    async list(workspaceId) {
      let q = db.selectFrom('projects').selectAll().where('deleted_at', 'is', null);
      if (workspaceId !== undefined) q = q.where('workspace_id', '=', workspaceId);
      const rows = await q.orderBy('name').orderBy('id').execute();
      return rows.map(toProject);
    },

    async get(idOrSlug) {
      const row = await db
        .selectFrom('projects')
        .selectAll()
        .where('deleted_at', 'is', null)
        .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
        .executeTakeFirst();
      return row && toProject(row);
    },

    async update(id, patch) {
      const set: Partial<ProjectsTable> = { updated_at: now() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.baseUrl !== undefined) set.base_url = patch.baseUrl;
      if (patch.parallelWorkers !== undefined) set.parallel_workers = patch.parallelWorkers;
      if (patch.slug !== undefined) set.slug = patch.slug;
      if (patch.retries !== undefined) set.retries = patch.retries;
      if (patch.failOnFlaky !== undefined) set.fail_on_flaky = patch.failOnFlaky ? 1 : 0;
      if (patch.healing !== undefined) set.healing = patch.healing ? 1 : 0;
      if (patch.statusContext !== undefined) set.status_context = patch.statusContext;
      if (patch.concurrencyPolicy !== undefined) set.concurrency_policy = patch.concurrencyPolicy;
      let row: Selectable<ProjectsTable> | undefined;
      try {
        row = await db
          .updateTable('projects')
          .set(set)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
      } catch (e) {
        if (isUniqueViolation(e)) throw slugTaken(patch.slug ?? '');
        throw e;
      }
      if (!row) throw notFound('project');
      return toProject(row);
    },

    async softDelete(id, opts = {}) {
      const at = now();
      await db.deleteFrom('trigger_tokens').where('project_id', '=', id).execute();
      await db
        .updateTable('projects')
        .set({ deleted_at: at, deleted_by: opts.actor ?? null, updated_at: at })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .execute();
    },
  };
  return repo;
}
