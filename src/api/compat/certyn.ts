import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../domain/errors.ts';
import { isTerminal, runStatuses, type Run } from '../../domain/run.ts';
import { trigger } from '../../engine/trigger.ts';
import type { ApiDeps, RouteOptions } from '../app.ts';
import { requireProjectAccess, requireTriggerAccess } from '../auth.ts';
import { errorResponses } from '../errors.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import {
  callerOf,
  idempotencyHeaders,
  markReplay,
  publicBase,
  readableRun,
  retryAfterOf,
  runPageUrlOf,
  setRetryAfter,
  triggerDeps,
} from '../trigger-http.ts';
import { defined } from '../../domain/defined.ts';

// Certyn's CI runs API (seed 003) translated onto the one trigger core: X-API-Key (a project
// trigger token, or a personal key with runs:trigger), projectSlug in the body, a process (our
// suite) or tags, and a status whose `failed`/`blocked` gate the pipeline.

const tags = ['ci (Certyn)'];
const text = (max: number) => z.string().min(1).max(max);

export const certynCreateBody = z
  .strictObject({
    projectSlug: text(200).describe('Project slug (or id)'),
    environmentKey: text(63).optional().describe('Environment name; omitted: project defaults'),
    processSlug: text(200).optional().describe('A suite name'),
    tags: z.array(text(200)).min(1).max(200).optional(),
    repository: text(300).optional(),
    ref: text(300).optional(),
    commitSha: z.string().min(4).max(64).optional(),
    event: text(100).optional(),
    externalUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
  })
  .refine((b) => (b.processSlug === undefined) !== (b.tags === undefined), {
    message: 'specify exactly one of processSlug or tags (a non-empty array)',
    path: ['processSlug'],
  })
  .meta({ id: 'CertynRunCreate' });

const states = ['in_progress', 'completed', 'cancelled'] as const;
type CertynState = (typeof states)[number];

const certynRunDto = z
  .object({
    runId: z.string(),
    projectId: z.string(),
    state: z.enum(states),
    status: z.enum(runStatuses).describe('Greenlight status: passed, failed, error, …'),
    passed: z.number().int(),
    failed: z.number().int(),
    blocked: z.number().int().describe('Tests that could not run (errors, never started)'),
    skipped: z.number().int(),
    total: z.number().int(),
    error: z.string().nullable(),
    appUrl: z.string().describe("The run's page in the dashboard, for people"),
    statusUrl: z.string(),
    repository: z.string().nullable().describe('As sent when the run was created'),
    ref: z.string().nullable(),
    commitSha: z.string().nullable(),
    event: z.string().nullable(),
    externalUrl: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    retryAfterSeconds: z.number().int().optional().describe('While in progress: when to poll'),
    phase: phaseDto,
    crawl: runCrawlDto,
  })
  .meta({ id: 'CertynRun' });
type CertynRun = z.output<typeof certynRunDto>;

const stateOf = (run: Run): CertynState =>
  run.status === 'cancelled' ? 'cancelled' : isTerminal(run.status) ? 'completed' : 'in_progress';

/**
 * Certyn pipelines fail on `failed > 0 || blocked > 0`, so every finished run that did not pass
 * must show one of them: errored tests and tests that never ran are blocked, and a run that
 * ended in error with nothing counted (every test skipped) blocks what did not pass.
 */
function certynCounts(run: Run): { failed: number; blocked: number } {
  const failed = run.failed;
  let blocked = run.errored;
  if (isTerminal(run.status)) {
    const notRun = run.total - (run.passed + run.failed + run.skipped + run.errored);
    blocked += Math.max(0, notRun);
    if (run.status !== 'passed' && failed + blocked === 0) {
      blocked = Math.max(1, run.total - run.passed);
    }
  }
  return { failed, blocked };
}

const statusUrlOf = (req: FastifyRequest, deps: ApiDeps, run: Run): string =>
  `${publicBase(req, deps)}/api/ci/runs/${encodeURIComponent(run.id)}`;

/** The run in Certyn's shape, with the CI metadata its create call recorded. */
async function toCertynRun(req: FastifyRequest, deps: ApiDeps, run: Run): Promise<CertynRun> {
  const meta = await deps.store.runTriggers.get(run.id);
  return {
    runId: run.id,
    projectId: run.projectId,
    state: stateOf(run),
    status: run.status,
    passed: run.passed,
    ...certynCounts(run),
    skipped: run.skipped,
    total: run.total,
    error: run.error,
    appUrl: runPageUrlOf(req, deps, run),
    statusUrl: statusUrlOf(req, deps, run),
    repository: meta?.git.repository ?? null,
    ref: meta?.git.ref ?? null,
    commitSha: meta?.git.commitSha ?? null,
    event: meta?.event ?? null,
    externalUrl: meta?.externalUrl ?? null,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    ...(isTerminal(run.status) ? {} : { retryAfterSeconds: retryAfterOf(deps) }),
    ...(await phaseOf(deps.store, run)),
  };
}

const runParams = z.object({ runId: z.string().min(1).max(200) });
const cancelBody = z
  .object({ reason: z.string().max(500).optional().describe('Shown as the run error') })
  .nullish();

/** `POST /api/ci/runs`, `GET /api/ci/runs/:runId`, `POST /api/ci/runs/:runId/cancel`. */
export const certynRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.post(
    '/runs',
    {
      config: { auth: 'trigger', rateLimit: 'expensive' },
      schema: {
        tags,
        summary: 'Create a CI run (Certyn shape)',
        description:
          'X-API-Key: a trigger token of the project, or a personal key with runs:trigger. ' +
          'Idempotency-Key recommended. Runs of one git ref queue behind each other.',
        headers: idempotencyHeaders,
        body: certynCreateBody,
        response: { 202: certynRunDto, 200: certynRunDto, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const principal = callerOf(req);
      const b = req.body;
      const project = await deps.store.projects.get(b.projectSlug);
      if (!project) throw notFound('project');
      requireTriggerAccess(req, project);
      const git = defined({ repository: b.repository, ref: b.ref, commitSha: b.commitSha });
      const { run, replayed } = await trigger(
        triggerDeps(deps),
        project,
        {
          shape: 'certyn',
          body: b,
          idempotencyKey: req.headers['idempotency-key'],
          selection: {
            ...(b.processSlug !== undefined ? { suites: [b.processSlug] } : {}),
            ...defined({ tags: b.tags }),
          },
          environment: b.environmentKey,
          git,
          event: b.event,
          externalUrl: b.externalUrl,
          // Certyn has no 409: a retried job is deduplicated by Idempotency-Key, and other runs
          // of the same ref wait their turn instead of failing the pipeline.
          concurrency: { policy: 'queue' },
        },
        principal,
      );
      if (replayed) markReplay(reply);
      return reply.code(replayed ? 200 : 202).send(await toCertynRun(req, deps, run));
    },
  );

  app.get(
    '/runs/:runId',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Status of a CI run (Certyn shape): state, failed, blocked, appUrl',
        description: 'Gate: fail the pipeline when `failed > 0 || blocked > 0`.',
        params: runParams,
        response: { 200: certynRunDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      const { run } = await readableRun(req, deps, req.params.runId);
      setRetryAfter(reply, deps, run);
      return toCertynRun(req, deps, run);
    },
  );

  app.post(
    '/runs/:runId/cancel',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Cancel a CI run (Certyn shape); the reason becomes the run error',
        params: runParams,
        body: cancelBody,
        response: { 200: certynRunDto, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const run = await deps.store.runs.get(null, req.params.runId);
      if (!run) throw notFound('run');
      const project = await deps.store.projects.get(run.projectId);
      if (!project) throw notFound('run');
      if (caller.kind === 'trigger') requireTriggerAccess(req, project);
      else requireProjectAccess(req, project, 'editor', 'runs:cancel');
      const reason = req.body?.reason?.trim() || 'cancelled by the pipeline';
      if (!isTerminal(run.status)) await deps.store.runTriggers.setCancelReason(run.id, reason);
      const after = await deps.engine.cancelRun(project.id, run.id, { reason });
      return toCertynRun(req, deps, after);
    },
  );
};
