import { sql, type Kysely } from 'kysely';

/**
 * Constant per-test bookkeeping for large runs:
 * - `jobs_run_queue` serves the claim (a run's first due queued job, in plan order) and the
 *   "anything left?" check from the index instead of scanning and sorting the run's jobs;
 * - `run_progress` keeps a run's counts up to date as each result is recorded (they were
 *   counted from the results on every read until the verdict), and its artifact byte total
 *   (a walk of the run's folder per test before). A narrow table of its own: a `runs` row
 *   carries the whole plan, and SQLite rewrites a row whole on every update.
 * Runs still in flight get their counts from their results here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('jobs_run_queue')
    .on('jobs')
    .columns(['run_id', 'status', 'run_after', 'seq'])
    .execute();
  await db.schema
    .createTable('run_progress')
    .addColumn('run_id', 'text', (c) => c.primaryKey().references('runs.id').onDelete('cascade'))
    .addColumn('passed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errored', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('flaky', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('quarantined', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('artifact_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  const count = (where: ReturnType<typeof sql>) =>
    sql`(select count(*) from results where results.run_id = runs.id and ${where})`;
  await sql`insert into run_progress (run_id, passed, flaky, failed, skipped, errored, quarantined)
    select runs.id,
      ${count(sql`results.quarantined = 0 and results.status = 'passed'`)},
      ${count(sql`results.quarantined = 0 and results.status = 'flaky'`)},
      ${count(sql`results.quarantined = 0 and results.status = 'failed'`)},
      ${count(sql`results.quarantined = 0 and results.status = 'skipped'`)},
      ${count(sql`results.quarantined = 0 and results.status not in ('passed', 'flaky', 'failed', 'skipped')`)},
      ${count(sql`results.quarantined = 1`)}
    from runs where runs.status in ('queued', 'running')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_progress').execute();
  await db.schema.dropIndex('jobs_run_queue').execute();
}
