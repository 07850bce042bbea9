import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The latest live-view frame of each watched test a process runs, for the API process that
 * serves the watcher (issue 13): one row per (run, test, attempt), overwritten a few times a
 * second while someone watches and deleted when the test's page closes, so the table holds only
 * the tests being watched right now. PostgreSQL only in practice (on SQLite the one process hands
 * frames over in memory); built with the schema builder so the migration list stays portable.
 *
 * On PostgreSQL the table is UNLOGGED: a frame is worth a quarter of a second, so a JPEG every
 * 250 ms should not go through the WAL (and to replicas); a crash or failover empties it, which
 * costs the watchers one frame.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('live_frames')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('test_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('jpeg', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_frames_pk', ['run_id', 'test_id', 'attempt'])
    .execute();
  if (postgres) await sql`alter table live_frames set unlogged`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('live_frames').execute();
}
