import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Environment } from '../domain/project.ts';
import type { EnvironmentsTable } from './database.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

export interface EnvironmentInput {
  name: string;
  baseUrl: string | null;
  variables: Record<string, string>;
  secretNames: string[];
}

export interface EnvironmentRepository {
  /** Environments of a project, by name. */
  list(projectId: string): Promise<Environment[]>;
  get(projectId: string, name: string): Promise<Environment | undefined>;
  /** Create or replace the environment of that name (its id and createdAt survive). */
  upsert(projectId: string, i: EnvironmentInput): Promise<Environment>;
  delete(projectId: string, name: string): Promise<boolean>;
}

function toEnvironment(r: Selectable<EnvironmentsTable>): Environment {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    baseUrl: r.base_url,
    variables: fromJson<Record<string, string>>(r.variables, 'environments.variables'),
    secretNames: fromJson<string[]>(r.secret_names, 'environments.secret_names'),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function environmentRepository({ db, now }: RepoContext): EnvironmentRepository {
  return {
    async list(projectId) {
      const rows = await db
        .selectFrom('environments')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map(toEnvironment);
    },

    async get(projectId, name) {
      const row = await db
        .selectFrom('environments')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toEnvironment(row);
    },

    async upsert(projectId, i) {
      const at = now();
      const fields = {
        base_url: i.baseUrl,
        variables: toJson(i.variables),
        secret_names: toJson([...new Set(i.secretNames)]),
        updated_at: at,
      };
      const row = await db
        .insertInto('environments')
        .values({
          id: randomUUID(),
          project_id: projectId,
          name: i.name,
          created_at: at,
          ...fields,
        })
        .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet(fields))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEnvironment(row);
    },

    async delete(projectId, name) {
      const r = await db
        .deleteFrom('environments')
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}
