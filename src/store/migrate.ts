import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { Database } from './database.ts';
import type { Dialect } from './sql-helpers.ts';
import * as m001 from './migrations/001-initial.ts';
import * as m002 from './migrations/002-accounts.ts';
import * as m003 from './migrations/003-triggers.ts';
import * as m004 from './migrations/004-outbox.ts';
import * as m006 from './migrations/006-notifications.ts';
import * as m007 from './migrations/007-schedules.ts';
import * as m008 from './migrations/008-pr-feedback.ts';
import * as m009 from './migrations/009-crawls.ts';
import * as m010 from './migrations/010-test-history.ts';
import * as m011 from './migrations/011-run-options.ts';
import * as m012 from './migrations/012-retries-quarantine.ts';
import * as m013 from './migrations/013-selection.ts';
import * as m014 from './migrations/014-visual-baselines.ts';
import * as m015 from './migrations/015-locator-memory.ts';
import * as m016 from './migrations/016-data-sets.ts';
import * as m017 from './migrations/017-artifact-expiry.ts';
import * as m018 from './migrations/018-project-healing.ts';
import * as m019 from './migrations/019-data-snapshots-schedule-options.ts';
import * as m020 from './migrations/020-run-crawls.ts';
import * as m021 from './migrations/021-status-context.ts';
import * as m035 from './migrations/035-job-leases.ts';
import * as m045 from './migrations/045-scans.ts';
import * as m046 from './migrations/046-scan-settings.ts';
import * as m047 from './migrations/047-scan-audit.ts';
import * as m048 from './migrations/048-scan-approvals.ts';
import * as m049 from './migrations/049-trigger-token-scopes.ts';
import * as m050 from './migrations/050-run-progress.ts';
import * as m051 from './migrations/051-results-page.ts';
import * as m054 from './migrations/054-rate-limit-counters.ts';
import * as m055 from './migrations/055-process-leases.ts';
import * as m056 from './migrations/056-run-stream-events.ts';
import * as m058 from './migrations/058-live-frames.ts';
import * as m059 from './migrations/059-list-indexes.ts';
import * as m060 from './migrations/060-run-counts.ts';
import * as m040 from './migrations/040-project-concurrency.ts';
import * as m030 from './migrations/030-account-tokens.ts';
import * as m031 from './migrations/031-user-identities.ts';
import * as m032 from './migrations/032-sso-logins.ts';
import * as m033 from './migrations/033-recycle-bin.ts';
import * as m034 from './migrations/034-workspace-settings.ts';

/**
 * Migrations are listed in code, not read from a folder, so they ship inside the build and run
 * the same under `node src/…` and compiled output. Add new ones here in order.
 */
const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '002-accounts': m002,
  '003-triggers': m003,
  '004-outbox': m004,
  '006-notifications': m006,
  '007-schedules': m007,
  '008-pr-feedback': m008,
  '009-crawls': m009,
  '010-test-history': m010,
  '011-run-options': m011,
  '012-retries-quarantine': m012,
  '013-selection': m013,
  '014-visual-baselines': m014,
  '015-locator-memory': m015,
  '016-data-sets': m016,
  '017-artifact-expiry': m017,
  '018-project-healing': m018,
  '019-data-snapshots-schedule-options': m019,
  '020-run-crawls': m020,
  '021-status-context': m021,
  '030-account-tokens': m030,
  '031-user-identities': m031,
  '032-sso-logins': m032,
  '033-recycle-bin': m033,
  '034-workspace-settings': m034,
  '035-job-leases': m035,
  '045-scans': m045,
  '046-scan-settings': m046,
  '047-scan-audit': m047,
  '048-scan-approvals': m048,
  '049-trigger-token-scopes': m049,
  '050-run-progress': m050,
  '051-results-page': m051,
  '054-rate-limit-counters': m054,
  '055-process-leases': m055,
  '056-run-stream-events': m056,
  '058-live-frames': m058,
  '059-list-indexes': m059,
  '060-run-counts': m060,
  '040-project-concurrency': m040,
};

/** Names of every migration this build knows, in order. */
export const knownMigrations = (): string[] => Object.keys(migrations).sort();

/** invalid_schema_name, undefined_column, undefined_table, internal (cache lookup failed). */
const CATALOG_RACE_CODES = new Set(['3F000', '42703', '42P01', 'XX000']);

/** Bring the schema up to date; throws with the failing migration's name. */
export async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // Features land in parallel and number their migrations up front, so a database may have
    // applied a later one first; each migration only adds its own tables and columns.
    allowUnorderedMigrations: true,
    ...(dialect === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    // Kysely's PostgreSQL introspection reads every schema's catalog; a schema another client
    // drops or alters meanwhile fails that read (no such schema, column or table). Nothing of
    // ours ran then, and the migrator is idempotent (and locked), so try again.
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const code = (error as { code?: unknown }).code;
    const catalogRace = typeof code === 'string' && CATALOG_RACE_CODES.has(code);
    if (attempt < 5 && failed === 'unknown' && catalogRace) continue;
    throw new Error(`database migration ${failed} failed: ${String(error)}`, { cause: error });
  }
}

/**
 * Kysely looks for its bookkeeping tables in every schema unless told which one, so a second
 * Kysely app (or a second Greenlight) in another schema of the same database would make it skip
 * creating ours. Pin them to the schema our tables go to.
 */
async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: check search_path');
  return schema;
}
