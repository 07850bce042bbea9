import type { Kysely } from 'kysely';

/**
 * The crawl phase of a run (AegisRunner's `crawl: true`): one row per run that crawls its base
 * URL before its tests. The run's test jobs are held until the phase ends; `locked_by` and
 * `heartbeat_at` are the lease of the process crawling, so a phase is taken over only after its
 * holder stopped beating. Schema builder only: SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_crawls')
    .addColumn('run_id', 'text', (c) => c.primaryKey().references('runs.id'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('crawl_id', 'text')
    .addColumn('summary', 'text')
    .addColumn('error', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('run_crawls_status')
    .on('run_crawls')
    .columns(['status', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_crawls').execute();
}
