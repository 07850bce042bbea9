import { sql, type Kysely } from 'kysely';

/**
 * Recycle bin: deleting a test becomes a soft delete, like a project's, and both record who
 * deleted them. A test's key is unique among live tests only (as a project's slug is among live
 * projects), so a deleted test's key can be reused; restoring it then answers 409. Portable:
 * schema builder and partial indexes, which SQLite and PostgreSQL both have.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tests').addColumn('deleted_at', 'text').execute();
  await db.schema.alterTable('tests').addColumn('deleted_by', 'text').execute();
  await db.schema.alterTable('projects').addColumn('deleted_by', 'text').execute();
  await db.schema.dropIndex('tests_project_key').execute();
  await db.schema
    .createIndex('tests_project_key_live')
    .on('tests')
    .columns(['project_id', 'key'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('tests_deleted')
    .on('tests')
    .column('deleted_at')
    .where(sql.ref('deleted_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tests_deleted').execute();
  await db.schema.dropIndex('tests_project_key_live').execute();
  await db.schema
    .createIndex('tests_project_key')
    .on('tests')
    .columns(['project_id', 'key'])
    .unique()
    .execute();
  await db.schema.alterTable('projects').dropColumn('deleted_by').execute();
  await db.schema.alterTable('tests').dropColumn('deleted_by').execute();
  await db.schema.alterTable('tests').dropColumn('deleted_at').execute();
}
