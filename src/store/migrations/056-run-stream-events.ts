import type { Kysely } from 'kysely';

/**
 * The numbered event log of each run's live stream (`GET /runs/:runId/events`), in the database
 * so that a client resuming with `Last-Event-ID` on any process, or after a restart, is sent
 * exactly the events it missed (issue 13).
 *
 * Ids are per run: `run_stream_heads.last_id` is bumped by the upsert that appends, and its row
 * lock is held until the appending transaction commits, so within a run ids are handed out in
 * commit order. A reader that has seen id n therefore never meets a smaller id committed later
 * (a global serial would allow that across two writers). `results` counts the run's `result`
 * events, so each row can say how many results the run had at that point (a snapshot's total).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_stream_heads')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('last_id', 'integer', (c) => c.notNull())
    .addColumn('results', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    /** Set by the `done` event: the log may be pruned a retention after it. */
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createTable('run_stream_events')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('id', 'integer', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    /** The run's `result` events up to and including this one. */
    .addColumn('results', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_stream_events_pk', ['run_id', 'id'])
    .execute();
  // Pruning looks runs up by when their log ended or was last written.
  await db.schema
    .createIndex('run_stream_heads_finished')
    .on('run_stream_heads')
    .column('finished_at')
    .execute();
  await db.schema
    .createIndex('run_stream_heads_updated')
    .on('run_stream_heads')
    .column('updated_at')
    .execute();
  // A purge deletes by project (recycle-bin.ts).
  await db.schema
    .createIndex('run_stream_events_project')
    .on('run_stream_events')
    .column('project_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_stream_events').execute();
  await db.schema.dropTable('run_stream_heads').execute();
}
