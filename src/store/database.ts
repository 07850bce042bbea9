import type { Generated } from 'kysely';
import type { ScanTables } from './scan-tables.ts';

/**
 * The database schema as Kysely table types. Types are portable on purpose: ids are text
 * (randomUUID), timestamps are ISO-8601 text (which sorts like time), JSON is stored as text, and
 * counters are integers, so the same migrations and queries serve SQLite and PostgreSQL.
 */

export interface ProjectsTable {
  id: string;
  slug: string;
  name: string;
  base_url: string;
  parallel_workers: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  /** Who deleted it (an e-mail, `cli`, …); null when live or unknown. */
  deleted_by: string | null;
  workspace_id: string | null;
  /** Default extra attempts of a failing test (0–5). */
  retries: number;
  /** 1: a flaky test fails the run by default. */
  fail_on_flaky: number;
  /** 1: runs heal locators by default; 0: such a step fails. */
  healing: number;
  /** Commit-status context of the project's runs; null: `greenlight/<slug>`. */
  status_context: string | null;
  concurrency_policy: string;
}

export interface EnvironmentsTable {
  id: string;
  project_id: string;
  name: string;
  base_url: string | null;
  /** JSON object of name → value. */
  variables: string;
  /** JSON array of variable names whose values are secret. */
  secret_names: string;
  created_at: string;
  updated_at: string;
}

export interface TestsTable {
  id: string;
  project_id: string;
  key: string | null;
  name: string;
  description: string | null;
  suite: string | null;
  /** JSON array of tags. */
  tags: string;
  status: string;
  /** JSON array of steps. */
  steps: string;
  /** JSON object of name → value. */
  variables: string;
  timeout_ms: number | null;
  step_timeout_ms: number | null;
  source: string;
  created_at: string;
  updated_at: string;
  reviewed_at: string | null;
  reviewed_by: string | null;
  /** Why a crawl flagged the test for review; null when not stale. */
  stale_reason: string | null;
  stale_at: string | null;
  /** Name of the data set the test runs once per row of; null: a plain test. */
  data_set: string | null;
  /** Why the test is quarantined (runs, never gates); null when not. */
  quarantine_reason: string | null;
  quarantined_at: string | null;
  quarantined_by: string | null;
  /** JSON array of globs (repo paths or URL paths) the test covers (selection `changed`). */
  covers: string;
  /** When the test went to the recycle bin; null: live. Every read of tests.ts skips deleted ones. */
  deleted_at: string | null;
  /** Who deleted it (an e-mail, `cli`, …). */
  deleted_by: string | null;
}

/** One recorded state of a test: the review queue's history. */
export interface TestVersionsTable {
  id: string;
  project_id: string;
  test_id: string;
  version: number;
  /** JSON TestSnapshot (the document without its status). */
  document: string;
  status: string;
  /** created | edited | approved | rejected | restored | flagged_stale */
  action: string;
  actor: string;
  note: string | null;
  at: string;
}

export interface RunsTable {
  id: string;
  project_id: string;
  status: string;
  /** JSON TriggerInfo. */
  trigger: string;
  /** JSON Selection. */
  selection: string;
  /** JSON array of test ids in planned order. */
  test_ids: string;
  base_url: string;
  environment: string | null;
  parallel_workers: number;
  /** 1 when the run records a Playwright trace of every test. */
  trace: number;
  /** JSON RunOptions (older runs: `{}`; then `trace` above applies). */
  options: string;
  /** JSON SelectionDetail: the strategy, its inputs and why each test was chosen; null: none. */
  selection_detail: string | null;
  error: string | null;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
  flaky: number;
  quarantined: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** When retention deleted the run's artifacts (null: kept). */
  artifacts_expired_at: string | null;
}

/** A run's live counts and artifact total, kept as each result is recorded (050). */
export interface RunProgressTable {
  run_id: string;
  passed: Generated<number>;
  failed: Generated<number>;
  skipped: Generated<number>;
  errored: Generated<number>;
  flaky: Generated<number>;
  quarantined: Generated<number>;
  /** bigint: text on PostgreSQL. */
  artifact_bytes: Generated<number | string>;
}

/** How many runs a project has: status `*` for all, else per finished status (060). */
export interface RunCountsTable {
  project_id: string;
  status: string;
  /** bigint: text on PostgreSQL. */
  runs: number | string;
}

export interface ResultsTable {
  id: string;
  run_id: string;
  project_id: string;
  test_id: string;
  test_name: string;
  status: string;
  attempt: number;
  duration_ms: number;
  failed_step: number | null;
  error: string | null;
  /** JSON array of StepResult. */
  steps: string;
  /** JSON array of ConsoleEntry. */
  console_errors: string;
  /** JSON array of FailedRequest. */
  failed_requests: string;
  /** JSON Artifacts. */
  artifacts: string;
  started_at: string;
  finished_at: string;
  /** Data-set row index as text; '' for a plain test. */
  variant: string;
  /** JSON array of URL paths the test's main frame visited. */
  visited_urls: string;
  /** JSON array of AttemptRecord: the earlier attempts of a retried test. */
  retries: string;
  /** 1 when the test was quarantined at the time it ran. */
  quarantined: number;
  /** JSON array of VisualCheck (compared screenshots); null when none. */
  visual: string | null;
  /** JSON array of HealedLocator (self-healing); null when nothing was healed. */
  healed: string | null;
  /** Label of the data-set row (`admin`, `#2`); null for a plain test. */
  row_label: string | null;
}

/** What passing runs learned about one locator of one step (self-healing). */
export interface LocatorMemoryTable {
  project_id: string;
  test_id: string;
  step: number;
  locator_hash: string;
  /** JSON array of LocatorAlternative. */
  alternatives: string;
  winning_strategy: string | null;
  updated_at: string;
}

export interface JobsTable {
  id: string;
  run_id: string;
  project_id: string;
  test_id: string;
  /** Position in the run's plan; claims take lower positions first. */
  seq: number;
  /** queued | running | done | cancelled */
  status: string;
  attempt: number;
  /** Not claimable before this time (ISO); retries use it to back off. */
  run_after: string;
  locked_at: string | null;
  locked_by: string | null;
  /** A running job's lease (ISO): past it, the holder counts as dead and the job is taken over. */
  lease_until: string | null;
  /** Why the last attempt was given back (worker died, retry reason). */
  last_error: string | null;
  /** Data-set row index as text; '' for a plain test. */
  variant: string;
  /** JSON DataRow the job runs with, snapshotted at run creation; null for a plain test. */
  variables: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  is_default: number;
  created_at: string;
}

export interface UsersTable {
  id: string;
  /** Lower-cased. */
  email: string;
  name: string | null;
  /** scrypt$N$r$p$salt$hash (base64url). */
  password_hash: string;
  created_at: string;
  updated_at: string;
  /** When the user proved the address (null: not yet; only matters with verification on). */
  email_verified_at: string | null;
}

export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  /** viewer | editor | admin */
  role: string;
  created_at: string;
}

/** Single-use e-mailed tokens (password reset, e-mail verification); only the hash is kept. */
export interface AccountTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  purpose: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** A provider account (OpenID Connect subject, GitHub user id) that signs in as a user. */
export interface UserIdentitiesTable {
  id: string;
  user_id: string;
  /** The provider's id in the configuration: `github`, `oidc`, … */
  provider: string;
  subject: string;
  /** The verified address the provider gave at the last sign-in. */
  email: string | null;
  created_at: string;
  last_sign_in_at: string | null;
}

/** A provider sign-in between its start and its callback (see migration 032). */
export interface SsoLoginsTable {
  state_hash: string;
  provider: string;
  code_verifier: string;
  nonce: string;
  redirect_uri: string;
  return_to: string;
  created_at: string;
  expires_at: string;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 (hex) of the cookie value. */
  token_hash: string;
  user_id: string;
  workspace_id: string;
  created_at: string;
  expires_at: string;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  workspace_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface TriggerTokensTable {
  id: string;
  /** JSON string[] of scopes (`trigger`, `scan`); null: `trigger` only (tokens made before scopes). */
  scopes: string | null;
  project_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface RunTriggersTable {
  run_id: string;
  project_id: string;
  /** sentri | aegis | certyn */
  shape: string;
  concurrency_key: string;
  /** reject | queue | supersede */
  policy: string;
  /** The run this one waits for (policy queue); NULL once released. */
  blocked_by: string | null;
  strategy: string | null;
  browser: string | null;
  device: string | null;
  git_repository: string | null;
  git_ref: string | null;
  git_commit_sha: string | null;
  git_pr_number: number | null;
  event: string | null;
  external_url: string | null;
  has_callback: number;
  idempotency_key: string | null;
  cancel_reason: string | null;
  created_at: string;
}

export interface IdempotencyKeysTable {
  project_id: string;
  key: string;
  request_hash: string;
  run_id: string;
  created_at: string;
  expires_at: string;
}

export interface ProjectSecretsTable {
  project_id: string;
  callback_secret: string;
  created_at: string;
  rotated_at: string | null;
}

export interface RunCallbacksTable {
  id: string;
  project_id: string;
  run_id: string;
  url: string;
  created_at: string;
}

export interface DeliveriesTable {
  id: string;
  project_id: string;
  run_id: string;
  callback_id: string;
  /** The delivery this one re-sends (manual redeliver); null for the original. */
  redelivery_of: string | null;
  url: string;
  event: string;
  /** The JSON body exactly as sent (signed at each attempt with a fresh timestamp). */
  payload: string;
  /** pending | delivered | failed */
  status: string;
  attempts: number;
  /** Due time of the next attempt; also the lease of an attempt in flight. */
  next_attempt_at: string;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** callback | notification. */
  kind: string;
  /** The notification channel of a `notification` delivery; null for callbacks. */
  channel_id: string | null;
}

export interface DeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

/** A note beside a run (PR feedback that failed, …); never holds a secret. */
export interface RunNotesTable {
  id: string;
  project_id: string;
  run_id: string;
  level: string;
  source: string;
  message: string;
  created_at: string;
}

/** A cron schedule of a project; `last_fired_at` doubles as the claim of a firing. */
export interface SchedulesTable {
  id: string;
  project_id: string;
  name: string;
  cron: string;
  /** IANA time zone name. */
  timezone: string;
  enabled: number;
  /** JSON Selection. */
  selection: string;
  environment: string | null;
  base_url: string | null;
  parallel_workers: number | null;
  /** JSON StrategyRequest (failed | flaky | recent) for the runs it starts; null for none. */
  strategy: string | null;
  /** JSON RunOptionsInput for the runs it starts; null for none. */
  options: string | null;
  /** Occurrences at or before this instant never fire. */
  anchor_at: string;
  last_fired_at: string | null;
  last_run_id: string | null;
  last_error: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** A project's notification channel. */
export interface NotificationChannelsTable {
  id: string;
  project_id: string;
  name: string;
  /** slack | teams | webhook | email */
  type: string;
  /** JSON array of event names. */
  events: string;
  /** JSON object, per type (webhook URL or recipients). */
  config: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** A finished run whose notifications were worked out and enqueued. */
export interface NotificationEvaluationsTable {
  run_id: string;
  project_id: string;
  /** JSON array of the events that applied. */
  events: string;
  evaluated_at: string;
}

/** One site crawl; the site map is JSON text written once at the end. */
export interface CrawlsTable {
  id: string;
  project_id: string;
  /** queued | running | done | failed | cancelled */
  status: string;
  /** JSON of the crawl options. */
  options: string;
  pages: number;
  site_map: string | null;
  generated: number;
  error: string | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The process (process_leases.id) running the crawl; null before migration 055. */
  owner: string | null;
}

/** Settings of a suite of a project (selection: what its tests cover). */
export interface SuiteSettingsTable {
  project_id: string;
  suite: string;
  /** JSON array of globs. */
  covers: string;
  updated_at: string;
}

/** A project's named rows of variables. */
export interface DataSetsTable {
  id: string;
  project_id: string;
  name: string;
  /** JSON array of objects of name → value. */
  rows: string;
  created_at: string;
  updated_at: string;
}

/** A visual regression reference image; the PNG is a file under the data dir. */
export interface VisualBaselinesTable {
  id: string;
  project_id: string;
  test_id: string;
  name: string;
  /** Browser and viewport, e.g. `chromium-1280x720`. */
  variant: string;
  /** Relative to the data dir. */
  path: string;
  sha256: string;
  width: number;
  height: number;
  created_at: string;
  accepted_by: string | null;
  source_run_id: string | null;
}

/** The crawl phase of a run (see run-crawls.ts). */
export interface RunCrawlsTable {
  run_id: string;
  project_id: string;
  /** pending | running | done | failed | cancelled */
  status: string;
  /** JSON RunCrawlRequest. */
  request: string;
  crawl_id: string | null;
  /** JSON RunCrawlSummary once the phase ended. */
  summary: string | null;
  error: string | null;
  locked_by: string | null;
  heartbeat_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** One setting of a workspace (workspace-settings.ts). */
export interface WorkspaceSettingsTable {
  workspace_id: string;
  /** `ai` | `recycle_bin` */
  name: string;
  /** JSON, validated by the setting's schema when read. */
  value: string;
  /** Encrypted (secret-box.ts); null when the setting has none. */
  secret: string | null;
  updated_at: string;
  updated_by: string | null;
}

/** One rate-limit window of one hashed key (migration 054). */
export interface RateLimitCountersTable {
  key: string;
  /** Epoch ms; bigint comes back as text from PostgreSQL. */
  window_start: number | string;
  count: number;
  expires_at: number | string;
}

/** A live Greenlight process and how long it is believed alive (migration 055). */
export interface ProcessLeasesTable {
  id: string;
  /** serve | worker */
  kind: string;
  host: string;
  pid: number;
  started_at: string;
  lease_until: string;
}

/** The head of a run's live-stream log: its last id and result count (migration 056). */
export interface RunStreamHeadsTable {
  run_id: string;
  project_id: string;
  last_id: number;
  results: number;
  updated_at: string;
  finished_at: string | null;
}

/** One event of a run's live stream (migration 056); `data` is JSON. */
export interface RunStreamEventsTable {
  run_id: string;
  id: number;
  project_id: string;
  type: string;
  data: string;
  results: number;
}

/** The latest live-view frame of one watched test attempt (migration 058). */
export interface LiveFramesTable {
  run_id: string;
  test_id: string;
  attempt: number;
  /** Counts the frames written to the row, so a reader skips one it already handed on. */
  seq: number;
  jpeg: Buffer;
  /** When the browser took the frame (ISO). */
  taken_at: string;
  /** When the row was last written (ISO): rows not written for a while are swept. */
  updated_at: string;
}

export interface Database extends ScanTables {
  live_frames: LiveFramesTable;
  run_stream_heads: RunStreamHeadsTable;
  run_stream_events: RunStreamEventsTable;
  rate_limit_counters: RateLimitCountersTable;
  process_leases: ProcessLeasesTable;
  workspace_settings: WorkspaceSettingsTable;
  run_crawls: RunCrawlsTable;
  data_sets: DataSetsTable;
  crawls: CrawlsTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  tests: TestsTable;
  test_versions: TestVersionsTable;
  runs: RunsTable;
  run_progress: RunProgressTable;
  run_counts: RunCountsTable;
  results: ResultsTable;
  locator_memory: LocatorMemoryTable;
  jobs: JobsTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  account_tokens: AccountTokensTable;
  user_identities: UserIdentitiesTable;
  sso_logins: SsoLoginsTable;
  api_keys: ApiKeysTable;
  trigger_tokens: TriggerTokensTable;
  run_triggers: RunTriggersTable;
  idempotency_keys: IdempotencyKeysTable;
  project_secrets: ProjectSecretsTable;
  run_callbacks: RunCallbacksTable;
  deliveries: DeliveriesTable;
  notification_channels: NotificationChannelsTable;
  notification_evaluations: NotificationEvaluationsTable;
  delivery_attempts: DeliveryAttemptsTable;
  run_notes: RunNotesTable;
  schedules: SchedulesTable;
  visual_baselines: VisualBaselinesTable;
  suite_settings: SuiteSettingsTable;
}
