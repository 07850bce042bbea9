import { sql, type Kysely } from 'kysely';

/**
 * The runs list answers with the number of runs it has in all. Counted on every request, that is
 * a walk of every index entry of the project's runs: 13.6 ms of synchronous SQLite work per
 * page at 100,000 runs, so four concurrent lists waited 65 ms at p99 (BENCHMARKS.md). Runs are
 * only ever added one at a time and finished once, and leave only with their project, so the
 * counts are kept as that happens: status `*` for all of a project's runs, and one row per
 * finished status. The few runs still queued or running are counted from their index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_counts')
    .addColumn('project_id', 'text', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('runs', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('run_counts_pk', ['project_id', 'status'])
    .execute();
  await sql`insert into run_counts (project_id, status, runs)
    select project_id, '*', count(*) from runs group by project_id`.execute(db);
  await sql`insert into run_counts (project_id, status, runs)
    select project_id, status, count(*) from runs
    where status not in ('queued', 'running') group by project_id, status`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_counts').execute();
}
