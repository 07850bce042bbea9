import { z } from 'zod';
import type { Environment, Project } from '../domain/project.ts';
import { resultStatuses, runStatuses, type Run, type TestResult } from '../domain/run.ts';
import { testStatuses } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import { MASK } from '../domain/variables.ts';

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
    source: t.source,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    reviewedAt: t.reviewedAt,
    reviewedBy: t.reviewedBy,
    stale: t.stale ?? null,
  };
}

export const runDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    status: z.enum(runStatuses),
    trigger: z.object({ source: z.string(), actor: z.string().optional() }),
    selection: z.object({
      suites: z.array(z.string()).optional(),
      tags: z.array(z.string()).optional(),
      testIds: z.array(z.string()).optional(),
    }),
    testIds: z.array(z.string()).describe('Planned tests, in order'),
    baseUrl: z.string(),
    environment: z.string().nullable(),
    parallelWorkers: z.number().int(),
    total: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    errored: z.number().int(),
    error: z.string().nullable().describe('Why the run failed, errored or was cancelled'),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: 'Run' });
export type RunDto = z.output<typeof runDto>;

export function toRunDto(r: Run): RunDto {
  return {
    id: r.id,
    projectId: r.projectId,
    status: r.status,
    trigger: r.trigger,
    selection: r.selection,
    testIds: r.testIds,
    baseUrl: r.baseUrl,
    environment: r.environment,
    parallelWorkers: r.parallelWorkers,
    total: r.total,
    passed: r.passed,
    failed: r.failed,
    skipped: r.skipped,
    errored: r.errored,
    error: r.error,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

export const testResultDto = z
  .object({
    id: z.string(),
    runId: z.string(),
    testId: z.string(),
    testName: z.string(),
    status: z.enum(resultStatuses),
    attempt: z.number().int(),
    durationMs: z.number(),
    failedStep: z.number().int().nullable().describe('0-based index of the failed step'),
    error: z.string().nullable(),
    steps: z.array(
      z.object({
        index: z.number().int(),
        action: z.string(),
        description: z.string(),
        status: z.enum(['passed', 'failed', 'skipped']),
        durationMs: z.number(),
        error: z.string().optional(),
      }),
    ),
    consoleErrors: z.array(
      z.object({ type: z.string(), text: z.string(), url: z.string().optional() }),
    ),
    failedRequests: z.array(
      z.object({
        url: z.string(),
        method: z.string(),
        status: z.number().int().optional(),
        failure: z.string().optional(),
      }),
    ),
    artifacts: z.object({
      screenshot: z.string().optional(),
      trace: z.string().optional(),
      screenshots: z.array(z.object({ name: z.string(), path: z.string() })).optional(),
    }),
    startedAt: timestamp,
    finishedAt: timestamp,
  })
  .meta({ id: 'TestResult' });
export type TestResultDto = z.output<typeof testResultDto>;

export function toTestResultDto(r: TestResult): TestResultDto {
  return { ...r };
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
