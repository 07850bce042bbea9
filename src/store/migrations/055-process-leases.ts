import type { Kysely } from 'kysely';

/**
 * Which process runs a crawl or a scan, and whether that process is alive: each process keeps a
 * row in `process_leases` with a lease it renews; crawls and scans name their `owner`. A
 * starting server fails only the crawls and scans whose owner's lease ran out (rows from before
 * this migration have no owner and count as abandoned, as they did).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('process_leases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('crawls').addColumn('owner', 'text').execute();
  await db.schema.alterTable('scans').addColumn('owner', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('scans').dropColumn('owner').execute();
  await db.schema.alterTable('crawls').dropColumn('owner').execute();
  await db.schema.dropTable('process_leases').execute();
}
