import type { Kysely } from 'kysely';

/** Approval requests for failed scan gates: bound to fingerprints, expiring once approved. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scan_approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('scan_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('fingerprints', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('comment', 'text')
    .addColumn('expires_at', 'text')
    .execute();
  await db.schema
    .createIndex('scan_approvals_project')
    .on('scan_approvals')
    .columns(['project_id', 'status'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scan_approvals').execute();
}
