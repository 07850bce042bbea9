import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import { ciStatusOf } from '../domain/ci-status.ts';
import {
  runStatuses,
  selectionSchema,
  stepResultSchema,
  testResultSchema,
  triggerInfoSchema,
  type TestResult,
} from '../domain/run.ts';
import {
  finalResults,
  summarize,
  testFile,
  type FinalResult,
  type ReportInput,
} from './report-model.ts';
import { defined } from '../domain/defined.ts';
import { jsonWithStreamedArray } from './json-stream.ts';

/**
 * The JSON report, version 1. Additive changes (new optional fields) keep `schemaVersion: '1'`;
 * renaming, removing or retyping a field makes it `'2'`. The JSON Schema is published at
 * GET /api/v1/schemas/report.json.
 */
const artifactSchema = z.object({
  kind: z.enum(['screenshot', 'trace', 'named-screenshot', 'video']),
  name: z.string().optional(),
  /** Path relative to the server's data dir. */
  path: z.string(),
  url: z.string().optional(),
});

// A result as the report writes it. The fields it shares with the domain's result
// (domain/run.ts) take their types from it; the rest is the report's own: steps counted from 1,
// artifacts as one list, earlier attempts in brief, and bounds a finished result always meets.
const result = testResultSchema.shape;
const step = stepResultSchema.shape;

const stepSchema = z.object({
  /** 1-based, as people count steps. */
  number: z.number().int().positive(),
  action: step.action,
  description: step.description,
  status: step.status,
  durationMs: z.number().nonnegative(),
  error: step.error,
});

/** 1-based number of the failing step. */
const failedStepNumber = z.number().int().positive().nullable();

const attemptSchema = z.object({
  attempt: z.number().int().positive(),
  status: result.status,
  durationMs: z.number().nonnegative(),
  error: result.error,
  failedStep: failedStepNumber,
});

const resultSchema = z.object({
  testId: result.testId,
  testName: result.testName,
  suite: z.string().nullable(),
  tags: z.array(z.string()),
  key: z.string().nullable(),
  file: z.string().nullable(),
  status: result.status,
  /** Passed only after an earlier attempt failed. */
  flaky: z.boolean(),
  attempt: z.number().int().positive(),
  durationMs: z.number().nonnegative(),
  startedAt: result.startedAt,
  finishedAt: result.finishedAt,
  error: result.error,
  failedStep: failedStepNumber,
  steps: z.array(stepSchema),
  consoleErrors: result.consoleErrors,
  failedRequests: result.failedRequests,
  artifacts: z.array(artifactSchema),
  previousAttempts: z.array(attemptSchema),
  /** 0-based data-set row index; absent for a plain test. */
  variant: z.number().int().nonnegative().optional(),
  /** Label of the data-set row (its `name` column, else `#1`, `#2` …); absent for a plain test. */
  row: result.row,
});

const summarySchema = z.object({
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errored: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  flaky: z.number().int().nonnegative(),
  quarantined: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});

export const jsonReportSchema = z
  .object({
    schemaVersion: z.literal('1'),
    generator: z.object({ name: z.literal('Greenlight'), version: z.string() }),
    project: z.object({ slug: z.string(), name: z.string() }),
    run: z.object({
      id: z.string(),
      projectId: z.string(),
      status: z.enum(runStatuses),
      /** Sentri-style pipeline status: running, completed, failed, aborted. */
      ciStatus: z.enum(['running', 'completed', 'failed', 'aborted']),
      error: z.string().nullable(),
      trigger: triggerInfoSchema,
      selection: selectionSchema,
      baseUrl: z.string(),
      environment: z.string().nullable(),
      parallelWorkers: z.number().int().positive(),
      createdAt: z.string(),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      url: z.string().optional(),
    }),
    summary: summarySchema,
    results: z.array(resultSchema),
    healed: z
      .array(z.object({ testId: z.string(), testName: z.string(), detail: z.string() }))
      .optional(),
  })
  .meta({
    title: 'Greenlight run report',
    description: 'One run of a Greenlight project: verdict, counts and every test result.',
  });

export type JsonReport = z.infer<typeof jsonReportSchema>;

/** The published JSON Schema (draft 2020-12) of the JSON report. */
export function jsonReportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(jsonReportSchema, { io: 'output' }),
    $id: 'greenlight:report/1',
  };
}

function artifactsOf(r: TestResult, input: ReportInput): z.infer<typeof artifactSchema>[] {
  const url = (path: string): { url?: string } => {
    const u = input.links?.artifactUrl?.(path);
    return u ? { url: u } : {};
  };
  const a = r.artifacts;
  return [
    ...(a.screenshot
      ? [{ kind: 'screenshot' as const, path: a.screenshot, ...url(a.screenshot) }]
      : []),
    ...(a.trace ? [{ kind: 'trace' as const, path: a.trace, ...url(a.trace) }] : []),
    ...(a.video ? [{ kind: 'video' as const, path: a.video, ...url(a.video) }] : []),
    ...(a.screenshots ?? []).map((s) => ({
      kind: 'named-screenshot' as const,
      name: s.name,
      path: s.path,
      ...url(s.path),
    })),
  ];
}

const stepNumber = (i: number | null): number | null => (i === null ? null : i + 1);

function resultEntry(input: ReportInput, f: FinalResult): z.infer<typeof resultSchema> {
  const r = f.result;
  const info = input.tests?.get(r.testId);
  return {
    testId: r.testId,
    testName: r.testName,
    suite: info?.suite ?? null,
    tags: info?.tags ?? [],
    key: info?.key ?? null,
    file: testFile(info) ?? null,
    status: r.status,
    flaky: f.flaky,
    attempt: r.attempt,
    durationMs: Math.max(0, r.durationMs),
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
    failedStep: stepNumber(r.failedStep),
    steps: r.steps.map((s) => ({
      number: s.index + 1,
      action: s.action,
      description: s.description,
      status: s.status,
      durationMs: Math.max(0, s.durationMs),
      ...defined({ error: s.error }),
    })),
    consoleErrors: r.consoleErrors.map((c) => ({ ...c })),
    failedRequests: r.failedRequests.map((q) => ({ ...q })),
    artifacts: artifactsOf(r, input),
    previousAttempts: f.previous.map((p) => ({
      attempt: p.attempt,
      status: p.status,
      durationMs: Math.max(0, p.durationMs),
      error: p.error,
      failedStep: stepNumber(p.failedStep),
    })),
    ...(r.variant ? { variant: Number(r.variant) } : {}),
    ...defined({ row: r.row }),
  };
}

/** The run as the versioned JSON report (an object; serialize with JSON.stringify). */
export function renderJsonReport(input: ReportInput): JsonReport {
  return { ...jsonReportEnvelope(input), results: [...jsonReportResults(input)] };
}

/** The JSON report's text in chunks, one result at a time (the same text as the whole object). */
export function jsonReportChunks(input: ReportInput): Iterable<string> {
  return jsonWithStreamedArray(jsonReportEnvelope(input), ['results'], jsonReportResults(input));
}

function* jsonReportResults(input: ReportInput): Generator<JsonReport['results'][number]> {
  for (const f of finalResults(input.results)) yield resultEntry(input, f);
}

/** Everything of the report but its results (kept in their place, empty). */
function jsonReportEnvelope(input: ReportInput): JsonReport {
  const { run } = input;
  return {
    schemaVersion: '1',
    generator: { name: 'Greenlight', version: input.toolVersion ?? pkg.version },
    project: { slug: input.project.slug, name: input.project.name },
    run: {
      id: run.id,
      projectId: run.projectId,
      status: run.status,
      ciStatus: ciStatusOf(run.status),
      error: run.error,
      trigger: { ...run.trigger },
      selection: { ...run.selection },
      baseUrl: run.baseUrl,
      environment: run.environment,
      parallelWorkers: run.parallelWorkers,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      ...(input.links?.runUrl ? { url: input.links.runUrl } : {}),
    },
    summary: summarize(input),
    results: [],
    ...(input.healed?.length ? { healed: input.healed.map((h) => ({ ...h })) } : {}),
  };
}
