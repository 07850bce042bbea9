import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ciStatusOf, ciSummaryOf } from '../../domain/ci-status.ts';
import { parallelWorkersSchema } from '../../domain/project.ts';
import type { Run } from '../../domain/run.ts';
import { runOptionsInputShape } from '../../domain/run-options.ts';
import { concurrencyPolicies, trigger } from '../../engine/trigger.ts';
import type { RouteOptions } from '../app.ts';
import { requireTriggerAccess } from '../auth.ts';
import { aegisRoutes } from '../compat/aegis.ts';
import { certynRoutes } from '../compat/certyn.ts';
import { API_PREFIX } from '../dto.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import { errorResponses, errorSchema } from '../errors.ts';
import { registerLegacyRedirect } from '../legacy-redirect.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import {
  idempotencyHeaders,
  markReplay,
  queryWants,
  readableRun,
  retryAfterOf,
  runPageUrlOf,
  setRetryAfter,
  statusUrlOf,
  triggerDeps,
  waitForAnswer,
  waitQuery,
} from '../trigger-http.ts';
import { feedbackGitFields, feedbackOf, gitInfoOf } from '../feedback-fields.ts';
import { withoutTokens } from '../../integrations/pr-feedback-target.ts';
import { baseUrlSchema } from './projects.ts';
import { strategyFields, strategyOf } from '../selection-fields.ts';
import { emulationFields, emulationOptionsOf } from '../emulation-fields.ts';
import { healingFields, healingOptionsOf } from '../healing-fields.ts';
import { retryFields, retryOptionsOf } from '../retry-fields.ts';
import { artifactFields, artifactOptionsOf } from '../artifact-fields.ts';
import { scanSpecOf, scanSpecSchema } from '../scan-fields.ts';
import { defined } from '../../domain/defined.ts';

const tags = ['ci'];
const names = z.array(z.string().min(1).max(200)).min(1).max(200);

/** Sentri's trigger body (seed 000) plus Greenlight's own fields; every field is optional. */
export const sentriTriggerBody = z
  .strictObject({
    dialsConfig: z.strictObject({ parallelWorkers: parallelWorkersSchema }).partial().optional(),
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional()
      .describe('POSTed the run summary on every terminal state (signed)'),
    suites: names.optional(),
    tests: z.array(z.string().min(1).max(200)).min(1).max(5000).optional().describe('Test ids'),
    tags: names.optional(),
    ...strategyFields,
    baseUrl: baseUrlSchema.optional(),
    environment: z.string().min(1).max(63).optional(),
    ...emulationFields,
    dataSet: runOptionsInputShape.dataSet.describe(
      'Data set that tests with `data:` run once per row of, for this run',
    ),
    ...retryFields,
    ...healingFields,
    ...artifactFields,
    git: z
      .strictObject({
        repository: z.string().min(1).max(300).optional(),
        ref: z.string().min(1).max(300).optional(),
        commitSha: z.string().min(4).max(64).optional(),
        prNumber: z.number().int().positive().optional(),
        ...feedbackGitFields,
      })
      .optional()
      .describe(
        'Git metadata. With githubToken (or provider gitlab + gitlabToken) Greenlight posts a ' +
          'commit status and one sticky PR/MR comment; the token is held in memory for the run ' +
          'only, never stored or logged',
      ),
    concurrency: z
      .strictObject({
        key: z.string().min(1).max(200).optional(),
        policy: z.enum(concurrencyPolicies).optional(),
      })
      .optional()
      .describe(
        "Default key: the PR, else the git ref, else the project; default policy: the project's " +
          '(concurrencyPolicy, reject unless set)',
      ),
    wait: z.boolean().optional().describe('Hold the request until the run ends'),
    waitTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
    scan: scanSpecSchema
      .optional()
      .describe('A static scan in the same run: its gate is part of the verdict (see Scan gate)'),
  })
  .meta({ id: 'SentriTrigger' });
type SentriTriggerBody = z.output<typeof sentriTriggerBody>;

const triggerAck = z
  .object({ runId: z.string(), statusUrl: z.string() })
  .meta({ id: 'TriggerAck' });

/** The status URL's body: seed 000's summary plus times, a link and the polling hint. */
const sentriStatusDto = z
  .object({
    runId: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'aborted']),
    passed: z.number().int(),
    failed: z.number().int().describe('Failed tests plus tests that could not run'),
    total: z.number().int(),
    error: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    url: z.string().describe("The run's page in the dashboard"),
    retryAfterSeconds: z.number().int().optional().describe('While running: when to poll again'),
    phase: phaseDto,
    crawl: runCrawlDto,
  })
  .meta({ id: 'TriggerStatus' });
type SentriStatus = z.output<typeof sentriStatusDto>;
const waitFailure = sentriStatusDto.extend({ code: z.string() });

const params = z.object({ id: projectIdParam });
const statusParams = z.object({ id: projectIdParam, runId: z.string().min(1).max(200) });

/** Sentri's canonical trigger and its status URL, under `/projects/:id`. */
export const triggerRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const statusOf = async (
    req: Parameters<typeof statusUrlOf>[0],
    run: Run,
  ): Promise<SentriStatus> => ({
    ...ciSummaryOf(run),
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    url: runPageUrlOf(req, deps, run),
    ...(ciStatusOf(run.status) === 'running' ? { retryAfterSeconds: retryAfterOf(deps) } : {}),
    ...(await phaseOf(deps.store, run)),
  });

  app.post(
    '/trigger',
    {
      config: { auth: 'trigger', rateLimit: 'expensive' },
      schema: {
        tags,
        summary: 'Trigger a CI run (Sentri shape): 202 { runId, statusUrl }',
        description:
          'Bearer trigger token of this project (or a user key with runs:trigger). With ' +
          '`wait: true` (or `?wait=true`) the request is held until the run ends: 200 with the ' +
          'final status when it passed, 422 run_failed when it failed or was aborted, 504 ' +
          'wait_timeout when it is still running.',
        params,
        querystring: waitQuery,
        headers: idempotencyHeaders,
        body: sentriTriggerBody.nullish(),
        response: {
          202: triggerAck,
          200: z.union([sentriStatusDto, triggerAck]),
          422: z.union([waitFailure, errorSchema]),
          504: waitFailure,
          ...errorResponses(400, 401, 403, 404, 409, 429),
        },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const principal = requireTriggerAccess(req, project);
      const b: SentriTriggerBody = req.body ?? {};
      const { run, replayed } = await trigger(
        triggerDeps(deps),
        project,
        {
          shape: 'sentri',
          body: withoutTokens(b),
          idempotencyKey: req.headers['idempotency-key'],
          selection: { suites: b.suites, tags: b.tags, testIds: b.tests },
          ...strategyOf(b),
          baseUrl: b.baseUrl,
          environment: b.environment,
          parallelWorkers: b.dialsConfig?.parallelWorkers,
          browser: b.browser,
          device: b.device,
          options: {
            ...emulationOptionsOf(b),
            ...retryOptionsOf(b),
            ...healingOptionsOf(b),
            ...artifactOptionsOf(b),
            ...defined({ dataSet: b.dataSet }),
          },
          git: gitInfoOf(b.git),
          concurrency: b.concurrency,
          callbackUrl: b.callbackUrl,
          ...feedbackOf(deps, b.git, (r) => runPageUrlOf(req, deps, r)),
          ...(b.scan ? { scan: scanSpecOf(b.scan) } : {}),
        },
        principal,
      );
      if (replayed) markReplay(reply);
      if (b.wait === true || queryWants(req.query)) {
        const answer = await waitForAnswer(
          req,
          reply,
          deps,
          run,
          (r) => statusOf(req, r),
          b.waitTimeoutSeconds,
        );
        if (!answer) return reply;
        return reply.code(answer.status).send(answer.body);
      }
      return reply
        .code(replayed ? 200 : 202)
        .send({ runId: run.id, statusUrl: statusUrlOf(req, deps, run) });
    },
  );

  app.get(
    '/trigger/runs/:runId',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Status of a triggered run (Sentri shape): running → completed | failed | aborted',
        description:
          '`completed` only when every gating test passed; `failed` with `error` saying how ' +
          'many failed. While running, `retryAfterSeconds` and a `Retry-After` header.',
        params: statusParams,
        response: { 200: sentriStatusDto, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const { run } = await readableRun(req, deps, req.params.runId, projectOf(req));
      setRetryAfter(reply, deps, run);
      return statusOf(req, run);
    },
  );
};

/**
 * Everything of the trigger API outside `/projects/:id`: the AegisRunner and Certyn shapes and
 * the legacy `/api/*` redirect.
 */
export async function registerTriggerApi(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  await app.register(aegisRoutes, { ...opts, prefix: `${API_PREFIX}/ci` });
  await app.register(certynRoutes, { ...opts, prefix: '/api/ci' });
  registerLegacyRedirect(app);
}
