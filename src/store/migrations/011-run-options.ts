import type { Kysely } from 'kysely';

/**
 * Every execution option of a run (retries, browser, device, …) as one JSON document, so new
 * options need no schema change. The older `trace` column stays and is read as a fallback.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('runs')
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('options').execute();
}
