import type { Kysely } from 'kysely';

/**
 * Test selection by strategy: what a test covers (`tests.covers`, and per suite in
 * `suite_settings`), the pages a result visited (`results.visited_urls`) and why a run chose its
 * tests (`runs.selection_detail`). JSON as text, schema builder only (SQLite and PostgreSQL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tests')
    .addColumn('covers', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('results')
    .addColumn('visited_urls', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.alterTable('runs').addColumn('selection_detail', 'text').execute();
  await db.schema
    .createTable('suite_settings')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('suite', 'text', (c) => c.notNull())
    .addColumn('covers', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('suite_settings_pk', ['project_id', 'suite'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('suite_settings').execute();
  await db.schema.alterTable('runs').dropColumn('selection_detail').execute();
  await db.schema.alterTable('results').dropColumn('visited_urls').execute();
  await db.schema.alterTable('tests').dropColumn('covers').execute();
}
