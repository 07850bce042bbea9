import type { Kysely } from 'kysely';

/**
 * Self-healing locators: what the last passing run learned about each locator of each step
 * (other ways to find the same element), and on results which locators were healed.
 * Schema builder only, so it runs on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('locator_memory')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    // Memory goes with its test: a deleted test leaves nothing to heal.
    .addColumn('test_id', 'text', (c) => c.notNull().references('tests.id').onDelete('cascade'))
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('locator_hash', 'text', (c) => c.notNull())
    .addColumn('alternatives', 'text', (c) => c.notNull())
    .addColumn('winning_strategy', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('locator_memory_pk', ['test_id', 'step', 'locator_hash'])
    .execute();
  await db.schema
    .createIndex('locator_memory_project_test')
    .on('locator_memory')
    .columns(['project_id', 'test_id'])
    .execute();
  await db.schema.alterTable('results').addColumn('healed', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('results').dropColumn('healed').execute();
  await db.schema.dropTable('locator_memory').execute();
}
