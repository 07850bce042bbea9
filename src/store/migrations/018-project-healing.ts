import type { Kysely } from 'kysely';

/**
 * The project default for self-healing locators (1: on, as runs were before), next to its
 * retries and failOnFlaky defaults. Additive only; schema builder, so it runs on SQLite and
 * PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('projects')
    .addColumn('healing', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('healing').execute();
}
