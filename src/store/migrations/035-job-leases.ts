import type { Kysely } from 'kysely';

/**
 * Jobs carry a lease (expiry time, renewed by the holder's heartbeat): another process sharing
 * the database takes over a running job only once its lease has expired, never a live one's.
 * Rows left running without a lease (written before this migration) count as expired.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('lease_until', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('lease_until').execute();
}
