/** Lifecycle of a run. `passed`/`failed`/`error`/`cancelled` are terminal. */
export const runStatuses = ['queued', 'running', 'passed', 'failed', 'error', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const terminalRunStatuses: readonly RunStatus[] = ['passed', 'failed', 'error', 'cancelled'];
export const isTerminal = (s: RunStatus): boolean => terminalRunStatuses.includes(s);

/** Outcome of one test in a run. */
export const resultStatuses = ['passed', 'failed', 'skipped', 'error'] as const;
export type ResultStatus = (typeof resultStatuses)[number];

/** How a run chose its tests. */
export interface Selection {
  suites?: string[];
  tags?: string[];
  testIds?: string[];
}

export interface TriggerInfo {
  /** `cli`, `api`, `ci`, `schedule`, `dashboard`. */
  source: string;
  /** Who or what asked (user id, token prefix, …); never a secret. */
  actor?: string;
}

export interface RunCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
}

export interface Run extends RunCounts {
  id: string;
  projectId: string;
  status: RunStatus;
  trigger: TriggerInfo;
  selection: Selection;
  /** Test ids in the order they were planned. */
  testIds: string[];
  baseUrl: string;
  environment: string | null;
  parallelWorkers: number;
  /** Human-readable reason for an `error`/`failed`/`cancelled` verdict. */
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface StepResult {
  index: number;
  action: string;
  /** Human-readable description with secrets masked. */
  description: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  error?: string;
}

export interface ConsoleEntry {
  type: string;
  text: string;
  url?: string;
}

export interface FailedRequest {
  url: string;
  method: string;
  /** HTTP status (>= 400) or the network error text. */
  status?: number;
  failure?: string;
}

export interface Artifacts {
  /** Paths relative to the data dir. */
  screenshot?: string;
  trace?: string;
  screenshots?: { name: string; path: string }[];
}

export interface TestResult {
  id: string;
  runId: string;
  testId: string;
  testName: string;
  status: ResultStatus;
  attempt: number;
  durationMs: number;
  /** 0-based index of the step that failed, if any. */
  failedStep: number | null;
  error: string | null;
  steps: StepResult[];
  consoleErrors: ConsoleEntry[];
  failedRequests: FailedRequest[];
  artifacts: Artifacts;
  startedAt: string;
  finishedAt: string;
}
