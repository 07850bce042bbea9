import { retriesSchema, runOptionsInputShape, type RunOptions } from '../domain/run-options.ts';
import { rangeOf } from '../domain/option-text.ts';
import { z } from 'zod';
import {
  concurrencyPolicies,
  statusContextOf,
  type Environment,
  type Project,
} from '../domain/project.ts';
import {
  attemptRecordSchema,
  runCountsSchema,
  runStatuses,
  selectionSchema,
  testResultSchema,
  triggerInfoSchema,
  type Run,
  type TestResult,
} from '../domain/run.ts';
import { healedLocatorSchema } from '../domain/locator-memory.ts';
import { selectionDetailSchema } from '../domain/selection.ts';
import { testStatuses } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import { MASK } from '../domain/variables.ts';
import { artifactsDto, toArtifactsDto, type ArtifactUrlOf } from './artifact-dto.ts';
import { visualCheckDto } from './visual-dto.ts';

// Response shapes: the OpenAPI document is generated from these, and replies are encoded through
// them, so a field that is not listed here never reaches a client.

/** Every route lives under this prefix; links in responses are built from it. */
export const API_PREFIX = '/api/v1';

/** Path of a run, for `Location` headers. */
export const runPath = (projectId: string, runId: string): string =>
  `${API_PREFIX}/projects/${encodeURIComponent(projectId)}/runs/${encodeURIComponent(runId)}`;

const timestamp = z.string().describe('ISO 8601 timestamp');

export const projectDto = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    baseUrl: z.string(),
    parallelWorkers: z.number().int(),
    retries: z
      .number()
      .int()
      .describe(`Default extra attempts of a failing test (${rangeOf(retriesSchema)})`),
    failOnFlaky: z.boolean().describe('Default: a flaky test fails the run'),
    healing: z.boolean().describe('Default: runs heal locators that find nothing'),
    statusContext: z
      .string()
      .describe('Commit-status context of its runs (default greenlight/<slug>)'),
    concurrencyPolicy: z
      .enum(concurrencyPolicies)
      .describe(
        'Triggers naming no policy: reject (409), queue or supersede a going run of their key',
      ),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Project' });
export type ProjectDto = z.output<typeof projectDto>;

export function toProjectDto(p: Project): ProjectDto {
  return {
    id: p.id,
    slug: p.slug,
    name: p.name,
    baseUrl: p.baseUrl,
    parallelWorkers: p.parallelWorkers,
    retries: p.retries,
    failOnFlaky: p.failOnFlaky,
    healing: p.healing,
    statusContext: statusContextOf(p),
    concurrencyPolicy: p.concurrencyPolicy,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export const environmentDto = z
  .object({
    name: z.string(),
    baseUrl: z.string().nullable(),
    variables: z.record(z.string(), z.string()).describe('Plain (non-secret) variables'),
    secrets: z
      .record(z.string(), z.string())
      .describe(`Secret variables; values are always shown as "${MASK}"`),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Environment' });
export type EnvironmentDto = z.output<typeof environmentDto>;

/** Secrets leave the server only as their names: the value is replaced by the mask. */
export function toEnvironmentDto(e: Environment): EnvironmentDto {
  const secret = new Set(e.secretNames);
  const variables: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.variables)) if (!secret.has(k)) variables[k] = v;
  for (const name of e.secretNames) secrets[name] = MASK;
  return {
    name: e.name,
    baseUrl: e.baseUrl,
    variables,
    secrets,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

export const testDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    key: z.string().nullable(),
    name: z.string(),
    description: z.string().nullable(),
    suite: z.string().nullable(),
    tags: z.array(z.string()),
    status: z.enum(testStatuses),
    steps: z.array(z.record(z.string(), z.unknown())).describe('Steps in the test language'),
    variables: z.record(z.string(), z.string()),
    timeout: z.number().int().nullable().describe('Whole-test timeout in ms (null: default)'),
    stepTimeout: z.number().int().nullable().describe('Per-step timeout in ms (null: default)'),
    covers: z
      .array(z.string())
      .describe('Globs of repo/URL paths the test covers (strategy changed)'),
    flakyScore: z
      .number()
      .int()
      .optional()
      .describe('0–100 from the last 20 results: share of flaky or flipped outcomes'),
    data: z
      .string()
      .nullable()
      .describe('Data set the test runs once per row of (null: a plain test)'),
    source: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    reviewedAt: timestamp.nullable(),
    reviewedBy: z.string().nullable(),
    stale: z
      .object({ reason: z.string(), at: timestamp })
      .nullable()
      .describe(
        'Set when a crawl found its page gone or a locator unmatched; approve or edit clears it',
      ),
    quarantine: z
      .object({ reason: z.string(), at: timestamp, by: z.string() })
      .nullable()
      .describe('Set while the test is quarantined: it runs and is reported but never gates'),
  })
  .meta({ id: 'Test' });
export type TestDto = z.output<typeof testDto>;

/** Field names follow the test document (`timeout`, not `timeoutMs`) so a test reads as it is written. */
export function toTestDto(t: Test): TestDto {
  return {
    id: t.id,
    projectId: t.projectId,
    key: t.key,
    name: t.name,
    description: t.description,
    suite: t.suite,
    tags: t.tags,
    status: t.status,
    steps: t.steps as unknown as Record<string, unknown>[],
    variables: t.variables,
    timeout: t.timeoutMs,
    stepTimeout: t.stepTimeoutMs,
    covers: t.covers ?? [],
    data: t.dataSet ?? null,
    source: t.source,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    reviewedAt: t.reviewedAt,
    reviewedBy: t.reviewedBy,
    stale: t.stale ?? null,
    quarantine: t.quarantine ?? null,
  };
}

const counts = runCountsSchema.shape;

export const runDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    status: z.enum(runStatuses),
    trigger: triggerInfoSchema,
    selection: selectionSchema,
    testIds: z.array(z.string()).describe('Planned tests, in order'),
    selectionDetail: selectionDetailSchema
      .nullable()
      .describe('The strategy that chose the tests and why each one; null: plain selection'),
    baseUrl: z.string(),
    environment: z.string().nullable(),
    parallelWorkers: z.number().int(),
    ...counts,
    flaky: counts.flaky.describe('Passed only after a retry'),
    quarantined: counts.quarantined.describe('Results of quarantined tests (never gate)'),
    options: z
      .object(runOptionsInputShape)
      .nullable()
      .describe('How the run executes, as resolved at creation (unset options left out)'),
    error: z.string().nullable().describe('Why the run failed, errored or was cancelled'),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: 'Run' });
export type RunDto = z.output<typeof runDto>;

/** Options with a value: null means "not set" and is left out of the answer. */
function definedOptions(o: RunOptions): NonNullable<RunDto['options']> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== null && v !== undefined),
  ) as NonNullable<RunDto['options']>;
}

export function toRunDto(r: Run): RunDto {
  return {
    id: r.id,
    projectId: r.projectId,
    status: r.status,
    trigger: r.trigger,
    selection: r.selection,
    testIds: r.testIds,
    selectionDetail: r.selectionDetail ?? null,
    baseUrl: r.baseUrl,
    environment: r.environment,
    parallelWorkers: r.parallelWorkers,
    total: r.total,
    passed: r.passed,
    failed: r.failed,
    skipped: r.skipped,
    errored: r.errored,
    flaky: r.flaky,
    quarantined: r.quarantined,
    options: r.options ? definedOptions(r.options) : null,
    error: r.error,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

// A result as the API writes it: the domain's result (domain/run.ts), with descriptions for the
// OpenAPI document, artifact URLs beside the paths and `variant` as a number. Overridden fields
// keep their place, so the wire order stays the domain's.
const result = testResultSchema.shape;

/** One earlier attempt of a retried test. */
const attemptDto = attemptRecordSchema.extend({
  artifacts: artifactsDto,
  startedAt: timestamp,
  finishedAt: timestamp,
});

const healed = healedLocatorSchema.shape;
const healedDto = healedLocatorSchema.extend({
  step: healed.step.describe('0-based index of the step'),
  from: healed.from.describe('The locator as written, which found nothing'),
  to: healed.to.describe('The recorded alternative used instead'),
});

export const testResultDto = testResultSchema
  .extend({
    failedStep: result.failedStep.describe('0-based index of the failed step'),
    artifacts: artifactsDto,
    visual: z.array(visualCheckDto).optional().describe('Screenshots compared with baselines'),
    visitedUrls: result.visitedUrls.describe('URL paths the main frame visited (strategy changed)'),
    startedAt: timestamp,
    finishedAt: timestamp,
    retries: z
      .array(attemptDto)
      .optional()
      .describe('Earlier attempts of a retried test, oldest first'),
    quarantined: result.quarantined.describe('The test was quarantined when it ran'),
    healed: z
      .array(healedDto)
      .optional()
      .describe('Locators healed from memory in this passing test; absent when none'),
    // The domain keeps the row index as text (the store's key column); the API shows a number.
    variant: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('0-based data-set row index this result ran with; absent for a plain test'),
    row: result.row.describe(
      "The data-set row's label (its `name` column, else #1, #2 …); absent for a plain test",
    ),
  })
  .meta({ id: 'TestResult' });
export type TestResultDto = z.output<typeof testResultDto>;

/** A result as the API sends it; with `urlOf`, every artifact path gets its absolute URL. */
export function toTestResultDto(r: TestResult, urlOf?: ArtifactUrlOf): TestResultDto {
  const { variant, ...rest } = r;
  return {
    ...rest,
    ...(variant ? { variant: Number(variant) } : {}),
    artifacts: toArtifactsDto(r.artifacts, urlOf),
    ...(r.retries && urlOf
      ? { retries: r.retries.map((a) => ({ ...a, artifacts: toArtifactsDto(a.artifacts, urlOf) })) }
      : {}),
  };
}

/** `{ items, total, limit, offset }` around a list of one DTO. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().describe('Matching items in all pages'),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

/** `limit` (1–200, default 50) and `offset` query parameters shared by list routes. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};
