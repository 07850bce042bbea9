import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { DataRow, DataSet } from '../domain/data-set.ts';
import type { DataSetsTable } from './database.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

/** A data set in a list: its rows counted, not loaded. */
export type DataSetSummary = Omit<DataSet, 'rows'> & { rowCount: number };

export interface DataSetRepository {
  /** Data sets of a project, by name. */
  list(projectId: string): Promise<DataSetSummary[]>;
  get(projectId: string, name: string): Promise<DataSet | undefined>;
  /** Create or replace the data set of that name (its id and createdAt survive). */
  upsert(projectId: string, name: string, rows: DataRow[]): Promise<DataSet>;
  delete(projectId: string, name: string): Promise<boolean>;
}

function toDataSet(r: Selectable<DataSetsTable>): DataSet {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    rows: fromJson<DataRow[]>(r.rows, 'data_sets.rows'),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function dataSetRepository({ db, now }: RepoContext): DataSetRepository {
  return {
    async list(projectId) {
      const rows = await db
        .selectFrom('data_sets')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map((r) => {
        const { rows: data, ...rest } = toDataSet(r);
        return { ...rest, rowCount: data.length };
      });
    },

    async get(projectId, name) {
      const row = await db
        .selectFrom('data_sets')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toDataSet(row);
    },

    async upsert(projectId, name, rows) {
      const at = now();
      const fields = { rows: toJson(rows), updated_at: at };
      const row = await db
        .insertInto('data_sets')
        .values({ id: randomUUID(), project_id: projectId, name, created_at: at, ...fields })
        .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet(fields))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDataSet(row);
    },

    async delete(projectId, name) {
      const r = await db
        .deleteFrom('data_sets')
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}
