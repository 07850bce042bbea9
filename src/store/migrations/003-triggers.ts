import type { Kysely } from 'kysely';

/**
 * CI trigger metadata beside each triggered run (git, concurrency key and policy, which shape
 * asked, a held run's blocker) and the durable Idempotency-Key records. Schema builder only, so
 * it runs on SQLite and PostgreSQL alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_triggers')
    .addColumn('run_id', 'text', (c) => c.primaryKey().references('runs.id'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    // sentri | aegis | certyn: which API shape created the run.
    .addColumn('shape', 'text', (c) => c.notNull())
    .addColumn('concurrency_key', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    // A run queued behind another run of its key; NULL once released (or never held).
    .addColumn('blocked_by', 'text')
    .addColumn('strategy', 'text')
    .addColumn('browser', 'text')
    .addColumn('device', 'text')
    .addColumn('git_repository', 'text')
    .addColumn('git_ref', 'text')
    .addColumn('git_commit_sha', 'text')
    .addColumn('git_pr_number', 'integer')
    .addColumn('event', 'text')
    .addColumn('external_url', 'text')
    .addColumn('has_callback', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('idempotency_key', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('run_triggers_key')
    .on('run_triggers')
    .columns(['project_id', 'concurrency_key'])
    .execute();
  await db.schema
    .createIndex('run_triggers_blocked_by')
    .on('run_triggers')
    .column('blocked_by')
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    // SHA-256 of the canonical JSON of the shape and body: same key + other body = mismatch.
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['project_id', 'key'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_expires')
    .on('idempotency_keys')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
  await db.schema.dropTable('run_triggers').execute();
}
