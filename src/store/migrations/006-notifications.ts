import type { Kysely } from 'kysely';

/**
 * Notifications: per-project channels (Slack, Teams, generic webhook, e-mail) with event
 * filters, a marker per finished run saying its notifications were worked out (so the start-up
 * sweep neither misses a run nor notifies twice), and a `kind` on outbox deliveries so the one
 * durable outbox carries notifications beside callbacks. Schema builder only (SQLite and PostgreSQL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    // Webhook URLs are kept in clear text because sending needs them; the API masks them.
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('notification_channels_project')
    .on('notification_channels')
    .columns(['project_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('notification_evaluations')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('evaluated_at', 'text', (c) => c.notNull())
    .execute();

  // Existing rows are callbacks; a notification names its channel (the row may outlive it).
  await db.schema
    .alterTable('deliveries')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('callback'))
    .execute();
  await db.schema.alterTable('deliveries').addColumn('channel_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('channel_id').execute();
  await db.schema.alterTable('deliveries').dropColumn('kind').execute();
  await db.schema.dropTable('notification_evaluations').execute();
  await db.schema.dropTable('notification_channels').execute();
}
