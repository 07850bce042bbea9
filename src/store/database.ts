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
  error: string | null;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
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
  /** Why the last attempt was given back (worker died, retry reason). */
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  tests: TestsTable;
  runs: RunsTable;
  results: ResultsTable;
  jobs: JobsTable;
}
