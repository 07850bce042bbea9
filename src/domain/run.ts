import { z } from 'zod';
import type { RunOptions } from './run-options.ts';
import { healedLocatorSchema } from './locator-memory.ts';
import type { SelectionDetail } from './selection.ts';
import { visualCheckSchema } from './visual.ts';

/** Lifecycle of a run. `passed`/`failed`/`error`/`cancelled` are terminal. */
export const runStatuses = ['queued', 'running', 'passed', 'failed', 'error', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const terminalRunStatuses: readonly RunStatus[] = ['passed', 'failed', 'error', 'cancelled'];
export const isTerminal = (s: RunStatus): boolean => terminalRunStatuses.includes(s);

/** Outcome of one test in a run; `flaky` failed at least once, then passed on a retry. */
export const resultStatuses = ['passed', 'failed', 'skipped', 'error', 'flaky'] as const;
export type ResultStatus = (typeof resultStatuses)[number];

// A run's selection, trigger and counts are schemas, not interfaces, for the same reason as a
// result's (below): the API's run DTO and the JSON report show them as they are.

/** How a run chose its tests. */
export const selectionSchema = z.object({
  suites: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  testIds: z.array(z.string()).optional(),
});
export type Selection = z.output<typeof selectionSchema>;

export const triggerInfoSchema = z.object({
  /** `cli`, `api`, `ci`, `schedule`, `dashboard`. */
  source: z.string(),
  /** Who or what asked (user id, token prefix, …); never a secret. */
  actor: z.string().optional(),
});
export type TriggerInfo = z.output<typeof triggerInfoSchema>;

const count = z.number().int();
export const runCountsSchema = z.object({
  total: count,
  passed: count,
  failed: count,
  skipped: count,
  errored: count,
  /** Passed only after a retry. */
  flaky: count,
  /** Results of quarantined tests, whatever their status; never part of the verdict. */
  quarantined: count,
});
export type RunCounts = z.output<typeof runCountsSchema>;

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

// A test result, written once. The API's DTO (api/dto.ts) and the JSON report (report/json.ts)
// derive their shapes from these schemas; the store keeps a result as columns and JSON text and
// reads it back as this type. Nothing parses a result with them inside: they are here because
// both edges are zod schemas (response encoding, the OpenAPI document, the report's JSON Schema).
// Field order is the order the API writes a result in (zod encodes in shape order).

export const stepStatuses = ['passed', 'failed', 'skipped'] as const;

export const stepResultSchema = z.object({
  index: z.number().int(),
  action: z.string(),
  /** Human-readable description with secrets masked. */
  description: z.string(),
  status: z.enum(stepStatuses),
  durationMs: z.number(),
  error: z.string().optional(),
});
export type StepResult = z.output<typeof stepResultSchema>;

export const consoleEntrySchema = z.object({
  type: z.string(),
  text: z.string(),
  url: z.string().optional(),
});
export type ConsoleEntry = z.output<typeof consoleEntrySchema>;

export const failedRequestSchema = z.object({
  url: z.string(),
  method: z.string(),
  /** HTTP status (>= 400) or the network error text. */
  status: z.number().int().optional(),
  failure: z.string().optional(),
});
export type FailedRequest = z.output<typeof failedRequestSchema>;

/** A screenshot taken by a step (`screenshot:`) or after every step (every-step screenshots). */
export const namedScreenshotSchema = z.object({
  name: z.string(),
  path: z.string(),
  /** 0-based index of the step after which it was taken (every-step screenshots). */
  step: z.number().int().optional(),
});

/** An artifact removed after the test for exceeding a size limit. */
export const droppedArtifactSchema = z.object({
  /** File name inside the attempt's folder. */
  name: z.string(),
  bytes: z.number().int(),
  reason: z.enum(['file_limit', 'run_limit']),
});
export type DroppedArtifact = z.output<typeof droppedArtifactSchema>;

/** An artifact that was due but could not be captured; the test's outcome is unchanged. */
export const missingArtifactSchema = z.object({
  /** `failure`, `step-3`, `trace`: the name the file would have had, without extension. */
  name: z.string(),
  /** Why, in words (the browser's first error line). */
  reason: z.string(),
});
export type MissingArtifact = z.output<typeof missingArtifactSchema>;

/** A result's files; paths relative to the data dir. */
export const artifactsSchema = z.object({
  screenshot: z.string().optional(),
  trace: z.string().optional(),
  /** A recording of the whole test (`video` run option). */
  video: z.string().optional(),
  screenshots: z.array(namedScreenshotSchema).optional(),
  /** Files deleted for exceeding a size limit; the test's outcome is unchanged. */
  dropped: z.array(droppedArtifactSchema).optional(),
  /** Files the test should have but could not get (a screenshot timing out under load). */
  missing: z.array(missingArtifactSchema).optional(),
});
export type Artifacts = z.output<typeof artifactsSchema>;

const attemptResultSchema = z.object({
  id: z.string(),
  runId: z.string(),
  testId: z.string(),
  testName: z.string(),
  status: z.enum(resultStatuses),
  attempt: z.number().int(),
  durationMs: z.number(),
  /** 0-based index of the step that failed, if any. */
  failedStep: z.number().int().nullable(),
  error: z.string().nullable(),
  steps: z.array(stepResultSchema),
  consoleErrors: z.array(consoleEntrySchema),
  failedRequests: z.array(failedRequestSchema),
  artifacts: artifactsSchema,
  /** Screenshots compared with their baselines (visual regression); absent when none. */
  visual: z.array(visualCheckSchema).optional(),
  /** URL paths the test's main frame visited, deduplicated, in order (at most 50). */
  visitedUrls: z.array(z.string()).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});

/** One earlier attempt of a retried test, kept on the final result. */
export const attemptRecordSchema = attemptResultSchema.pick({
  attempt: true,
  status: true,
  error: true,
  failedStep: true,
  durationMs: true,
  steps: true,
  artifacts: true,
  startedAt: true,
  finishedAt: true,
});
export type AttemptRecord = z.output<typeof attemptRecordSchema>;

/** The outcome of one test (one data-set row of it) in a run. */
export const testResultSchema = attemptResultSchema.extend({
  /** Earlier attempts of this test in the same job (retries), oldest first; absent when none. */
  retries: z.array(attemptRecordSchema).optional(),
  /** The test was quarantined when it ran: reported, never part of the verdict. */
  quarantined: z.boolean().optional(),
  /** Locators that found nothing and were healed from memory (the test still passed). */
  healed: z.array(healedLocatorSchema).optional(),
  /** Data-set row index as text ('' or absent: a plain test); one result per test and variant. */
  variant: z.string().optional(),
  /** Label of the data-set row (`admin`, `#2`); absent for a plain test. */
  row: z.string().optional(),
});
export type TestResult = z.output<typeof testResultSchema>;

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
