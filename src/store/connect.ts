import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { pgDriver } from './pg-driver.ts';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { accountRepository, type AccountRepository } from './accounts.ts';
import { apiKeyRepository, type ApiKeyRepository } from './api-keys.ts';
import { artifactExpiryRepository, type ArtifactExpiryRepository } from './artifact-expiry.ts';
import { crawlRepository, type CrawlRepository } from './crawls.ts';
import type { Database } from './database.ts';
import { dataSetRepository, type DataSetRepository } from './data-sets.ts';
import { encryptLegacySecrets } from './encrypt-legacy.ts';
import { environmentRepository, type EnvironmentRepository } from './environments.ts';
import { jobRepository, type JobRepository } from './jobs.ts';
import { idempotencyRepository, type IdempotencyRepository } from './idempotency.ts';
import { migrate } from './migrate.ts';
import { withStatementCache } from './sqlite-statements.ts';
import {
  notificationChannelRepository,
  type NotificationChannelRepository,
} from './notification-channels.ts';
import { outboxRepository, type OutboxRepository } from './outbox.ts';
import { projectSecretRepository, type ProjectSecretRepository } from './project-secrets.ts';
import { projectRepository, type ProjectRepository } from './projects.ts';
import { locatorMemoryRepository, type LocatorMemoryRepository } from './locator-memory.ts';
import { recycleBinRepository, type RecycleBinRepository } from './recycle-bin.ts';
import { liveFrameRepository, type LiveFrameRepository } from './live-frames.ts';
import { processLeaseRepository, type ProcessLeaseRepository } from './process-leases.ts';
import {
  rateLimitCounterRepository,
  type RateLimitCounterRepository,
} from './rate-limit-counters.ts';
import { resultRepository, type ResultRepository } from './results.ts';
import { resultHistoryRepository, type ResultHistoryRepository } from './result-history.ts';
import { suiteSettingsRepository, type SuiteSettingsRepository } from './suite-settings.ts';
import { runCrawlRepository, type RunCrawlRepository } from './run-crawls.ts';
import { runNoteRepository, type RunNoteRepository } from './run-notes.ts';
import { runTriggerRepository, type RunTriggerRepository } from './run-triggers.ts';
import { runRepository, type RunRepository } from './runs.ts';
import { runStreamEventRepository, type RunStreamEventRepository } from './run-stream-events.ts';
import { scheduleRepository, type ScheduleRepository } from './schedules.ts';
import { scanApprovalRepository, type ScanApprovalRepository } from './scan-approvals.ts';
import { scanAuditRepository, type ScanAuditRepository } from './scan-audit.ts';
import { scanRepository, type ScanRepository } from './scans.ts';
import { scanSettingsRepository, type ScanSettingsRepository } from './scan-settings.ts';
import { keylessBox, secretBox, type SecretBox } from './secret-box.ts';
import { sessionRepository, type SessionRepository } from './sessions.ts';
import { accountTokenRepository, type AccountTokenRepository } from './account-tokens.ts';
import { ssoLoginRepository, type SsoLoginRepository } from './sso-logins.ts';
import { userIdentityRepository, type UserIdentityRepository } from './user-identities.ts';
import type { Db, Dialect, RepoContext } from './sql-helpers.ts';
import { testHistoryRepository, type TestHistoryRepository } from './test-history.ts';
import { testRepository, type TestRepository } from './tests.ts';
import { triggerTokenRepository, type TriggerTokenRepository } from './trigger-tokens.ts';
import {
  workspaceSettingsRepository,
  type WorkspaceSettingsRepository,
} from './workspace-settings.ts';
import { visualBaselineRepository, type VisualBaselineRepository } from './visual-baselines.ts';

/** The one door to the database: a repository per aggregate, transactions, and close. */
export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  projects: ProjectRepository;
  environments: EnvironmentRepository;
  tests: TestRepository;
  /** Versions of tests: the review queue's history. */
  testHistory: TestHistoryRepository;
  /** Site crawls and their site maps. */
  crawls: CrawlRepository;
  runs: RunRepository;
  results: ResultRepository;
  /** Self-healing memory of step locators. */
  locatorMemory: LocatorMemoryRepository;
  /** Latest results per test and last finished runs (selection, flaky scores, planning). */
  resultHistory: ResultHistoryRepository;
  /** Per-suite settings such as the suite's `covers` (selection). */
  suiteSettings: SuiteSettingsRepository;
  jobs: JobRepository;
  accounts: AccountRepository;
  sessions: SessionRepository;
  /** Single-use e-mailed tokens: password reset, e-mail verification. */
  accountTokens: AccountTokenRepository;
  /** Provider accounts (OpenID Connect, GitHub) linked to users. */
  userIdentities: UserIdentityRepository;
  /** Provider sign-ins between their start and their callback. */
  ssoLogins: SsoLoginRepository;
  apiKeys: ApiKeyRepository;
  triggerTokens: TriggerTokenRepository;
  /** The crawl phase of runs that crawl their base URL before their tests. */
  runCrawls: RunCrawlRepository;
  /** CI trigger metadata per run. */
  runTriggers: RunTriggerRepository;
  /** Idempotency-Key records of triggers. */
  idempotency: IdempotencyRepository;
  /** Run callbacks, the delivery outbox and its attempt log. */
  outbox: OutboxRepository;
  /** Per-project callback signing secrets. */
  projectSecrets: ProjectSecretRepository;
  /** Notes beside a run, e.g. PR feedback that failed. */
  runNotes: RunNoteRepository;
  /** Cron schedules of projects. */
  schedules: ScheduleRepository;
  /** Notification channels and which finished runs were evaluated. */
  notificationChannels: NotificationChannelRepository;
  /** Which runs' artifacts retention deleted. */
  artifactExpiry: ArtifactExpiryRepository;
  /** Visual regression reference images. */
  visualBaselines: VisualBaselineRepository;
  /** Named rows of variables; a data test runs once per row. */
  dataSets: DataSetRepository;
  /** Scans and their findings. */
  scans: ScanRepository;
  /** A project's scan config, governance, custom packs and suppressions. */
  scanSettings: ScanSettingsRepository;
  /** The scan gate's append-only, hash-chained audit log. */
  scanAudit: ScanAuditRepository;
  /** Exceptions to failed scan gates. */
  scanApprovals: ScanApprovalRepository;
  /** Soft-deleted projects and tests: list, restore, purge. */
  recycleBin: RecycleBinRepository;
  /** Rate-limit windows shared by the API processes on one database (issue 13). */
  rateLimitCounters: RateLimitCounterRepository;
  /** Live processes and their leases: who owns a running crawl or scan. */
  processLeases: ProcessLeaseRepository;
  /** Each run's live-stream event log, for resuming across processes and restarts. */
  runStreamEvents: RunStreamEventRepository;
  /** The latest live-view frame of each watched test, for API processes on other machines. */
  liveFrames: LiveFrameRepository;
  /** Settings of a workspace: the AI provider, the recycle bin's retention. */
  workspaceSettings: WorkspaceSettingsRepository;
  /** Run fn with a store whose every query is in one transaction (nested calls join it). */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Run fn after the current transaction commits (at once outside a transaction). */
  afterCommit(fn: () => void): void;
  /** One round trip (`select 1`): the readiness probe's check that the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** `sqlite:<path>`, a plain file path, or `postgres://…` / `postgresql://…`. */
  databaseUrl: string;
  /** PostgreSQL schema to use (sets search_path); for tests and shared databases. */
  schema?: string;
  /** Clock for row timestamps (tests pin it). */
  clock?: () => Date;
  /**
   * 32-byte key that encrypts secrets at rest (see `storeOptions` in secret-key.ts). Without
   * one, reading and writing secret values fails with an error saying how to set it.
   */
  secretKey?: Buffer;
}

function buildStore(
  db: Db,
  dialect: Dialect,
  now: () => string,
  onClose: () => Promise<void>,
  pendingAfterCommit: (() => void)[] | null,
  box: SecretBox,
): Store {
  const ctx: RepoContext = { db, dialect, now };
  const store: Store = {
    db,
    dialect,
    projects: projectRepository(ctx),
    environments: environmentRepository(ctx, box),
    tests: testRepository(ctx),
    testHistory: testHistoryRepository(ctx),
    crawls: crawlRepository(ctx),
    runs: runRepository(ctx),
    results: resultRepository(ctx),
    locatorMemory: locatorMemoryRepository(ctx),
    resultHistory: resultHistoryRepository(ctx),
    suiteSettings: suiteSettingsRepository(ctx),
    jobs: jobRepository(ctx),
    accounts: accountRepository(ctx),
    sessions: sessionRepository(ctx),
    accountTokens: accountTokenRepository(ctx),
    userIdentities: userIdentityRepository(ctx),
    ssoLogins: ssoLoginRepository(ctx),
    apiKeys: apiKeyRepository(ctx),
    triggerTokens: triggerTokenRepository(ctx),
    runTriggers: runTriggerRepository(ctx),
    runCrawls: runCrawlRepository(ctx),
    idempotency: idempotencyRepository(ctx),
    outbox: outboxRepository(ctx),
    projectSecrets: projectSecretRepository(ctx, box),
    runNotes: runNoteRepository(ctx),
    schedules: scheduleRepository(ctx),
    notificationChannels: notificationChannelRepository(ctx),
    artifactExpiry: artifactExpiryRepository(ctx),
    visualBaselines: visualBaselineRepository(ctx),
    dataSets: dataSetRepository(ctx),
    scans: scanRepository(ctx),
    scanSettings: scanSettingsRepository(ctx),
    scanAudit: scanAuditRepository(ctx),
    scanApprovals: scanApprovalRepository(ctx),
    recycleBin: recycleBinRepository(ctx),
    rateLimitCounters: rateLimitCounterRepository(ctx, box),
    processLeases: processLeaseRepository(ctx),
    runStreamEvents: runStreamEventRepository(ctx),
    liveFrames: liveFrameRepository(ctx),
    workspaceSettings: workspaceSettingsRepository(ctx, box),
    async transaction(fn) {
      if (pendingAfterCommit) return fn(store);
      const callbacks: (() => void)[] = [];
      const result = await db
        .transaction()
        .execute((trx) => fn(buildStore(trx, dialect, now, onClose, callbacks, box)));
      for (const cb of callbacks) cb();
      return result;
    },
    afterCommit(fn) {
      if (pendingAfterCommit) pendingAfterCommit.push(fn);
      else fn();
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: onClose,
  };
  return store;
}

const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

/** The SQLite file path of a `sqlite:` URL or a plain path (`sqlite::memory:` stays in memory). */
function sqlitePath(url: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  return path === ':memory:' ? path : resolve(path);
}

function openSqlite(url: string): Kysely<Database> {
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  // WAL lets readers (the dashboard, a second CLI) work while a run writes; NORMAL sync is
  // durable across process crashes in WAL mode, which is the failure recovery must survive.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
  });
}

function openPostgres(url: string, schema: string | undefined): Kysely<Database> {
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  }
  const pool = new (pgDriver().Pool)({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Open the database named by the URL and bring its schema up to date. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const dialect: Dialect = isPostgresUrl(opts.databaseUrl) ? 'postgres' : 'sqlite';
  const db =
    dialect === 'postgres'
      ? openPostgres(opts.databaseUrl, opts.schema)
      : openSqlite(opts.databaseUrl);
  const box = opts.secretKey ? secretBox(opts.secretKey) : keylessBox();
  try {
    await migrate(db, dialect);
    if (opts.secretKey) await encryptLegacySecrets(db, box);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  const clock = opts.clock ?? (() => new Date());
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await db.destroy();
  };
  return buildStore(db, dialect, () => clock().toISOString(), close, null, box);
}
