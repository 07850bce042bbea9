import type { Kysely } from 'kysely';

/**
 * When a run's artifacts were deleted by retention: its artifact URLs then answer 410, and the
 * sweep skips it. Null while the artifacts are kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('artifacts_expired_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('artifacts_expired_at').execute();
}
