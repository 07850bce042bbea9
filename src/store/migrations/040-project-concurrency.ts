import type { Kysely } from 'kysely';

/**
 * The project's default concurrency policy for triggers that name none (reject, as before), set
 * from the dashboard's settings. Additive only; schema builder, so it runs on SQLite and
 * PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('projects')
    .addColumn('concurrency_policy', 'text', (c) => c.notNull().defaultTo('reject'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('concurrency_policy').execute();
}
