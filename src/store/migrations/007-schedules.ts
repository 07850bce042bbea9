import type { Kysely } from 'kysely';

/**
 * Cron schedules of a project. `last_fired_at` is also the claim of a firing: a scheduler moves
 * it forward with a conditional UPDATE, and only the process whose UPDATE changed the row starts
 * the run, so several server processes never double-fire. `anchor_at` is the instant from which
 * occurrences count (creation, re-enabling, a new cron or zone), so old misses never fire.
 * Schema builder only, so it runs on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('selection', 'text', (c) => c.notNull())
    .addColumn('environment', 'text')
    .addColumn('base_url', 'text')
    .addColumn('parallel_workers', 'integer')
    .addColumn('anchor_at', 'text', (c) => c.notNull())
    .addColumn('last_fired_at', 'text')
    .addColumn('last_run_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('schedules_project_name', ['project_id', 'name'])
    .execute();
  await db.schema.createIndex('schedules_enabled').on('schedules').column('enabled').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('schedules').execute();
}
