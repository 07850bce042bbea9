import type { Kysely } from 'kysely';

/**
 * Data sets (named rows of variables) and the columns that let a test run once per row: a test's
 * `data_set`, and a `variant` (the row index as text, '' for a plain test) on jobs and results.
 * The one-result-per-test index becomes one result per test and variant.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('data_sets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rows', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('data_sets_project_name')
    .on('data_sets')
    .columns(['project_id', 'name'])
    .unique()
    .execute();
  await db.schema.alterTable('tests').addColumn('data_set', 'text').execute();
  await db.schema
    .alterTable('jobs')
    .addColumn('variant', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('results')
    .addColumn('variant', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.dropIndex('results_run_test').execute();
  await db.schema
    .createIndex('results_run_test_variant')
    .on('results')
    .columns(['run_id', 'test_id', 'variant'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('results_run_test_variant').execute();
  await db.schema
    .createIndex('results_run_test')
    .on('results')
    .columns(['run_id', 'test_id'])
    .unique()
    .execute();
  await db.schema.alterTable('results').dropColumn('variant').execute();
  await db.schema.alterTable('jobs').dropColumn('variant').execute();
  await db.schema.alterTable('tests').dropColumn('data_set').execute();
  await db.schema.dropTable('data_sets').execute();
}
