import type { Kysely } from 'kysely';

/** Scans and their findings. Findings are written once, when the scan ends. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('run_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('branch', 'text')
    .addColumn('commit_sha', 'text')
    .addColumn('base', 'text')
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('gate', 'text')
    .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('scans_project')
    .on('scans')
    .columns(['project_id', 'created_at'])
    .execute();
  await db.schema.createIndex('scans_run').on('scans').column('run_id').execute();
  await db.schema
    .createTable('scan_findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scan_id', 'text', (c) => c.notNull().references('scans.id'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('start_line', 'integer')
    .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('scan_findings_scan')
    .on('scan_findings')
    .columns(['scan_id', 'file'])
    .execute();
  await db.schema
    .createIndex('scan_findings_fp')
    .on('scan_findings')
    .columns(['project_id', 'fingerprint'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scan_findings').execute();
  await db.schema.dropTable('scans').execute();
}
