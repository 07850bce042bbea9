import type { Kysely } from 'kysely';

/**
 * Retries, flaky results and quarantine: project defaults for retries and failOnFlaky, a test's
 * quarantine (reason, when, who), the earlier attempts and the quarantine flag on each result,
 * and the flaky and quarantined counts of a run. Additive only; schema builder, so it runs on
 * SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('projects')
    .addColumn('retries', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('projects')
    .addColumn('fail_on_flaky', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('tests').addColumn('quarantine_reason', 'text').execute();
  await db.schema.alterTable('tests').addColumn('quarantined_at', 'text').execute();
  await db.schema.alterTable('tests').addColumn('quarantined_by', 'text').execute();
  await db.schema
    .alterTable('results')
    .addColumn('retries', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('results')
    .addColumn('quarantined', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('runs')
    .addColumn('flaky', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('runs')
    .addColumn('quarantined', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('quarantined').execute();
  await db.schema.alterTable('runs').dropColumn('flaky').execute();
  await db.schema.alterTable('results').dropColumn('quarantined').execute();
  await db.schema.alterTable('results').dropColumn('retries').execute();
  await db.schema.alterTable('tests').dropColumn('quarantined_by').execute();
  await db.schema.alterTable('tests').dropColumn('quarantined_at').execute();
  await db.schema.alterTable('tests').dropColumn('quarantine_reason').execute();
  await db.schema.alterTable('projects').dropColumn('fail_on_flaky').execute();
  await db.schema.alterTable('projects').dropColumn('retries').execute();
}
