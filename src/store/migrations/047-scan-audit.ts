import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The scan gate's audit log: one row per decision, numbered per project, each row holding
 * the hash of the one before. The database itself refuses UPDATE and DELETE on it (a trigger on
 * both engines), so the log is append-only whatever code runs against it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scan_audit')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('scan_audit_pk', ['project_id', 'seq'])
    .execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create or replace function scan_audit_append_only() returns trigger as $$
      begin raise exception 'scan_audit is append-only'; end; $$ language plpgsql`.execute(db);
    await sql`create trigger scan_audit_no_change before update or delete on scan_audit
      for each row execute function scan_audit_append_only()`.execute(db);
  } else {
    await sql`create trigger scan_audit_no_update before update on scan_audit
      begin select raise(abort, 'scan_audit is append-only'); end`.execute(db);
    await sql`create trigger scan_audit_no_delete before delete on scan_audit
      begin select raise(abort, 'scan_audit is append-only'); end`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scan_audit').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop function if exists scan_audit_append_only()`.execute(db);
  }
}
