import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Rate-limit counters every API process on one PostgreSQL shares: one row per (hashed key,
 * fixed window), counted by an upsert. `expires_at` (epoch ms) is when the window is over and
 * its row may go. Schema builder, so it runs on SQLite and PostgreSQL alike.
 *
 * On PostgreSQL the table is UNLOGGED: a counted request then waits for no WAL flush (measured:
 * the flush was most of the upsert's cost, see bench/rate-limit.ts). The price is that a database
 * crash or a failover empties it, which only gives every client a fresh window.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_limit_counters')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_counters_pk', ['key', 'window_start'])
    .execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table rate_limit_counters set unlogged`.execute(db);
  }
  await db.schema
    .createIndex('rate_limit_counters_expiry')
    .on('rate_limit_counters')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limit_counters').execute();
}
