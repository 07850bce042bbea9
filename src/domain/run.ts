import type { RunOptions } from './run-options.ts';
import type { HealedLocator } from './locator-memory.ts';
import type { SelectionDetail } from './selection.ts';
import type { VisualCheck } from './visual.ts';

/** Lifecycle of a run. `passed`/`failed`/`error`/`cancelled` are terminal. */
export const runStatuses = ['queued', 'running', 'passed', 'failed', 'error', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const terminalRunStatuses: readonly RunStatus[] = ['passed', 'failed', 'error', 'cancelled'];
export const isTerminal = (s: RunStatus): boolean => terminalRunStatuses.includes(s);

/** Outcome of one test in a run; `flaky` failed at least once, then passed on a retry. */
export const resultStatuses = ['passed', 'failed', 'skipped', 'error', 'flaky'] as const;
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
  /** Passed only after a retry. */
  flaky: number;
  /** Results of quarantined tests, whatever their status; never part of the verdict. */
  quarantined: number;
}

export interface Run extends RunCounts {
  /** How the run executes (retries, browser, device, …), as resolved when it was created. */
  options?: RunOptions;
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
  /** The strategy that chose the tests and why each one (null: plain selection). */
  selectionDetail?: SelectionDetail | null;
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
  /** `step`: 0-based index of the step after which it was taken (every-step screenshots). */
  screenshots?: { name: string; path: string; step?: number }[];
  /** A recording of the whole test (`video` run option). */
  video?: string;
  /** Files deleted for exceeding a size limit; the test's outcome is unchanged. */
  dropped?: DroppedArtifact[];
  /** Files the test should have but could not get (a screenshot timing out under load). */
  missing?: MissingArtifact[];
}

/** An artifact that was due but could not be captured; the test's outcome is unchanged. */
export interface MissingArtifact {
  /** `failure`, `step-3`, `trace`: the name the file would have had, without extension. */
  name: string;
  /** Why, in words (the browser's first error line). */
  reason: string;
}

/** An artifact removed after the test for exceeding a size limit. */
export interface DroppedArtifact {
  /** File name inside the attempt's folder. */
  name: string;
  bytes: number;
  reason: 'file_limit' | 'run_limit';
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
  /** Screenshots compared with their baselines (visual regression); absent when none. */
  visual?: VisualCheck[];
  /** URL paths the test's main frame visited, deduplicated, in order (at most 50). */
  visitedUrls?: string[];
  startedAt: string;
  finishedAt: string;
  /** Earlier attempts of this test in the same job (retries), oldest first; absent when none. */
  retries?: AttemptRecord[];
  /** Locators that found nothing and were healed from memory (the test still passed); absent when none. */
  healed?: HealedLocator[];
  /** The test was quarantined when it ran: reported, never part of the verdict. */
  quarantined?: boolean;
  /** Data-set row index as text ('' or absent: a plain test); one result per test and variant. */
  variant?: string;
  /** Label of the data-set row (`admin`, `#2`); absent for a plain test. */
  row?: string;
}

/** One earlier attempt of a retried test, kept on the final result. */
export type AttemptRecord = Pick<
  TestResult,
  | 'attempt'
  | 'status'
  | 'error'
  | 'failedStep'
  | 'durationMs'
  | 'steps'
  | 'artifacts'
  | 'startedAt'
  | 'finishedAt'
>;

/** Counts of a run with nothing recorded yet. */
export const emptyCounts = (total: number): RunCounts => ({
  total,
  passed: 0,
  failed: 0,
  skipped: 0,
  errored: 0,
  flaky: 0,
  quarantined: 0,
});
