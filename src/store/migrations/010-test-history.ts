import { sql, type Kysely } from 'kysely';
import type { TestsTable } from '../database.ts';
import { snapshotOf } from '../test-history.ts';

/**
 * Review queue: every change to a test is kept as a version (a snapshot of its document, its
 * status, who and why), and a crawl can flag a test as stale. Existing tests get a first
 * `created` version from their current state, so every test has a history to diff against.
 * Schema builder only, so it runs on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('test_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    // History goes with its test: a deleted test leaves nothing to review.
    .addColumn('test_id', 'text', (c) => c.notNull().references('tests.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('test_versions_test_version')
    .on('test_versions')
    .columns(['test_id', 'version'])
    .unique()
    .execute();
  await db.schema.alterTable('tests').addColumn('stale_reason', 'text').execute();
  await db.schema.alterTable('tests').addColumn('stale_at', 'text').execute();

  const { rows } = await sql<
    Omit<TestsTable, 'stale_reason' | 'stale_at'>
  >`select * from tests order by id`.execute(db);
  const chunk = 100;
  for (let i = 0; i < rows.length; i += chunk) {
    const values = rows.slice(i, i + chunk).map((r) => ({
      id: crypto.randomUUID(),
      project_id: r.project_id,
      test_id: r.id,
      version: 1,
      document: JSON.stringify(snapshotOf(r)),
      status: r.status,
      action: 'created',
      actor: r.source,
      note: 'recorded when history began',
      at: r.updated_at,
    }));
    await db
      .insertInto('test_versions' as never)
      .values(values as never)
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('test_versions').execute();
  await db.schema.alterTable('tests').dropColumn('stale_at').execute();
  await db.schema.alterTable('tests').dropColumn('stale_reason').execute();
}
