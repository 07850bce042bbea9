import type { Kysely } from 'kysely';

/**
 * A data-test job keeps the row it runs with (`jobs.variables`, JSON), snapshotted when the run
 * is created, so editing or deleting the data set mid-run changes nothing of that run; its
 * result keeps the row's label (`results.row_label`). A schedule keeps a selection strategy and
 * run options (`schedules.strategy`, `schedules.options`, JSON) for the runs it starts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('variables', 'text').execute();
  await db.schema.alterTable('results').addColumn('row_label', 'text').execute();
  await db.schema.alterTable('schedules').addColumn('strategy', 'text').execute();
  await db.schema.alterTable('schedules').addColumn('options', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('schedules').dropColumn('options').execute();
  await db.schema.alterTable('schedules').dropColumn('strategy').execute();
  await db.schema.alterTable('results').dropColumn('row_label').execute();
  await db.schema.alterTable('jobs').dropColumn('variables').execute();
}
