import type { Kysely } from 'kysely';

/** A run's results read a page at a time in the order they started (keyset, see results.ts). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('results_run_started')
    .on('results')
    .columns(['run_id', 'started_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('results_run_started').execute();
}
