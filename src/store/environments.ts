import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Environment } from '../domain/project.ts';
import type { EnvironmentsTable } from './database.ts';
import type { SecretBox } from './secret-box.ts';
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

/** Variables with the values named in `secretNames` passed through `convert` (encrypt or decrypt). */
export function convertSecrets(
  variables: Record<string, string>,
  secretNames: readonly string[],
  convert: (value: string) => string,
): Record<string, string> {
  const out = { ...variables };
  for (const n of secretNames) if (out[n] !== undefined) out[n] = convert(out[n]);
  return out;
}

function toEnv(r: Selectable<EnvironmentsTable>, box: SecretBox): Environment {
  const secretNames = fromJson<string[]>(r.secret_names, 'environments.secret_names');
  const stored = fromJson<Record<string, string>>(r.variables, 'environments.variables');
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    baseUrl: r.base_url,
    variables: convertSecrets(stored, secretNames, (v) => box.decrypt(v)),
    secretNames,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Secret values are stored encrypted by `box` and decrypted on every read. */
export function environmentRepository(
  { db, now }: RepoContext,
  box: SecretBox,
): EnvironmentRepository {
  const toEnvironment = (r: Selectable<EnvironmentsTable>): Environment => toEnv(r, box);
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
      const secretNames = [...new Set(i.secretNames)];
      const fields = {
        base_url: i.baseUrl,
        variables: toJson(convertSecrets(i.variables, secretNames, (v) => box.encrypt(v))),
        secret_names: toJson(secretNames),
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
