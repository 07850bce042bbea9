import type { Kysely } from 'kysely';

/** A project's scan config and governance, its custom packs and its recorded suppressions. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scan_configs')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id'))
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('governance', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();
  await db.schema
    .createTable('scan_packs')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addPrimaryKeyConstraint('scan_packs_pk', ['project_id', 'id'])
    .execute();
  await db.schema
    .createTable('scan_suppressions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text')
    .addColumn('fingerprint', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('scan_suppressions_project')
    .on('scan_suppressions')
    .column('project_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scan_suppressions').execute();
  await db.schema.dropTable('scan_packs').execute();
  await db.schema.dropTable('scan_configs').execute();
}
