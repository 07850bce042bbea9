import type { Kysely } from 'kysely';

/**
 * Visual regression: one reference image per project, test, screenshot name and variant
 * (browser and viewport). The PNG lives under the data dir; the row says where, its hash and
 * size, and who accepted it from which run. Results keep what their compared screenshots found.
 * Schema builder only, so it runs on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('visual_baselines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    // A deleted test has nothing left to compare; its baselines go with it.
    .addColumn('test_id', 'text', (c) => c.notNull().references('tests.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('accepted_by', 'text')
    .addColumn('source_run_id', 'text')
    .execute();
  await db.schema
    .createIndex('visual_baselines_key')
    .on('visual_baselines')
    .columns(['project_id', 'test_id', 'name', 'variant'])
    .unique()
    .execute();
  await db.schema.alterTable('results').addColumn('visual', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('results').dropColumn('visual').execute();
  await db.schema.dropTable('visual_baselines').execute();
}
