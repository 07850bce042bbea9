import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import type { Principal } from '../../domain/principal.ts';
import type { Project } from '../../domain/project.ts';
import { isTerminal, runStatuses, type Run } from '../../domain/run.ts';
import { strategies, trigger, type Strategy } from '../../engine/trigger.ts';
import { describeChoices } from '../../domain/option-text.ts';
import { browserNames, defaultRunOptions, runOptionsInputShape } from '../../domain/run-options.ts';
import { strategyInputShape } from '../../domain/selection.ts';
import { emulationFields } from '../emulation-fields.ts';
import type { RunCrawlRequest } from '../../store/run-crawls.ts';
import { withoutTokens, type FeedbackFields } from '../../integrations/pr-feedback-target.ts';
import type { ApiDeps, RouteOptions } from '../app.ts';
import { feedbackOf } from '../feedback-fields.ts';
import { phaseDto, phaseOf, runCrawlDto } from '../phase-dto.ts';
import { strategyOf } from '../selection-fields.ts';
import { requireTriggerAccess } from '../auth.ts';
import { API_PREFIX } from '../dto.ts';
import { errorResponses, errorSchema } from '../errors.ts';
import {
  callerOf,
  idempotencyHeaders,
  markReplay,
  publicBase,
  queryWants,
  readableRun,
  retryAfterOf,
  runPageUrlOf,
  setRetryAfter,
  triggerDeps,
  waitForAnswer,
  waitQuery,
} from '../trigger-http.ts';
import { defined } from '../../domain/defined.ts';

// AegisRunner's CI API (seed 002) translated onto the one trigger core. The token names the
// project. Every field of Aegis' table is honoured: the crawl fields become the run's crawl
// phase (engine/crawl-phase.ts); what this server cannot do (a browser not installed) is
// refused by name (400 unsupported_field), never dropped silently.

const tags = ['ci (AegisRunner)'];
const ids = z.array(z.string().min(1).max(200)).max(5000);

export const aegisTriggerBody = z
  .strictObject({
    suiteIds: ids.optional().describe('Suites to run (suite names); omit for all'),
    caseIds: ids.optional().describe('Test ids to run'),
    browserProfile: emulationFields.browser.describe(
      `${describeChoices(browserNames, defaultRunOptions.browser)}: refused when not installed`,
    ),
    environmentId: z.string().min(1).max(63).optional().describe('Environment name'),
    testDataSetId: runOptionsInputShape.dataSet.describe(
      'Data set name: data tests run once per row of it for this run',
    ),
    wait: z.boolean().optional(),
    crawl: z
      .boolean()
      .optional()
      .describe(
        'Crawl the base URL before the tests: broken links and pages answering 5xx fail the run',
      ),
    crawlPages: z
      .array(z.string().min(1).max(2000))
      .max(1000)
      .optional()
      .describe(
        'Crawl only these pages (paths or URLs on the base URL), links checked, none followed',
      ),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
    generateTests: z
      .boolean()
      .optional()
      .describe('Draft tests from the crawl into the review queue; they do not run until approved'),
    // Free text, refused by name when unknown (400 unsupported_field), as browserProfile is.
    selectionStrategy: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe(`${describeChoices(strategies)} (changed with changedFiles)`),
    changedFiles: strategyInputShape.changedFiles
      .optional()
      .describe('Greenlight: repository paths that changed, for selectionStrategy changed'),
    maxPages: z.number().int().min(1).max(2000).optional().describe('Crawl: pages at most (50)'),
    maxDepth: z.number().int().min(0).max(50).optional().describe('Crawl: link depth (3)'),
    device: runOptionsInputShape.device.describe(
      'desktop, mobile, tablet or a Playwright device name',
    ),
    fillForms: z
      .boolean()
      .optional()
      .describe('Crawl: generated drafts include tests that fill and submit safe forms (true)'),
    respectRobots: z.boolean().optional().describe('Crawl: honour robots.txt (true)'),
    githubRepo: z.string().min(1).max(300).optional(),
    githubPrNumber: z.number().int().positive().optional(),
    githubCommitSha: z.string().min(4).max(64).optional(),
    githubToken: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe(
        'Posts a commit status (githubCommitSha) and a sticky PR comment (githubPrNumber); ' +
          'held in memory for the run only, never stored or logged',
      ),
    checks: z.boolean().optional().describe('Greenlight: also create a GitHub check run'),
  })
  .meta({ id: 'AegisTrigger' });
type AegisTriggerBody = z.output<typeof aegisTriggerBody>;

/** Aegis' GitHub fields in the feedback target's terms, and their names for error messages. */
const aegisFeedbackFields = (b: AegisTriggerBody): FeedbackFields => ({
  provider: 'github',
  ...defined({
    repository: b.githubRepo,
    prNumber: b.githubPrNumber,
    commitSha: b.githubCommitSha,
    githubToken: b.githubToken,
    checks: b.checks,
  }),
});
const aegisNames = {
  repository: 'githubRepo',
  prNumber: 'githubPrNumber',
  commitSha: 'githubCommitSha',
};

/** Crawl options that mean nothing without a crawl: refused by name rather than ignored. */
const crawlOptions = [
  'maxPages',
  'maxDepth',
  'fillForms',
  'respectRobots',
  'generateTests',
] as const satisfies readonly (keyof AegisTriggerBody)[];

/** The run's crawl phase, when the body asks for one (`crawl: true` or `crawlPages`). */
function crawlOf(b: AegisTriggerBody): RunCrawlRequest | undefined {
  const asked = b.crawl === true || (b.crawlPages?.length ?? 0) > 0;
  if (!asked) {
    const stray = crawlOptions.find((f) => b[f] !== undefined);
    if (stray) {
      throw new AppError('validation_failed', `"${stray}" needs "crawl": true (or crawlPages)`, [
        { path: `body.${stray}`, message: 'a crawl option without a crawl' },
      ]);
    }
    return undefined;
  }
  return {
    ...(b.crawlPages?.length ? { pages: b.crawlPages } : {}),
    ...defined({
      maxPages: b.maxPages,
      maxDepth: b.maxDepth,
      fillForms: b.fillForms,
      respectRobots: b.respectRobots,
      generateTests: b.generateTests,
    }),
  };
}

function aegisStrategyOf(s: string | undefined): Strategy | undefined {
  if (s === undefined) return undefined;
  if ((strategies as readonly string[]).includes(s)) return s as Strategy;
  throw new AppError('unsupported_field', `selectionStrategy "${s}" is not known`, {
    field: 'selectionStrategy',
    value: s,
  });
}

const ackDto = z
  .object({
    runId: z.string(),
    status: z.literal('queued'),
    runType: z.literal('manual'),
    url: z.string().describe("The run's page for people in the dashboard"),
    statusUrl: z.string().describe('Status of the run: GET it with the same token'),
  })
  .meta({ id: 'AegisTriggerAck' });

const aegisRunDto = z
  .object({
    runId: z.string(),
    projectId: z.string(),
    status: z.enum(runStatuses).describe('queued, running, passed, failed, error, cancelled'),
    runType: z.literal('manual'),
    passed: z.number().int(),
    failed: z.number().int().describe('Failed tests plus tests that could not run'),
    skipped: z.number().int(),
    total: z.number().int(),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable(),
    url: z.string().describe("The run's page in the dashboard, for people"),
    statusUrl: z.string().describe('This status resource'),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    retryAfterSeconds: z.number().int().optional().describe('While unfinished: when to poll'),
    phase: phaseDto,
    crawl: runCrawlDto,
  })
  .meta({ id: 'AegisRun' });
type AegisRun = z.output<typeof aegisRunDto>;
const waitFailure = aegisRunDto.extend({ code: z.string() });

const aegisStatusUrl = (req: FastifyRequest, deps: ApiDeps, run: Run): string =>
  `${publicBase(req, deps)}${API_PREFIX}/ci/runs/${encodeURIComponent(run.id)}`;

async function toAegisRun(req: FastifyRequest, deps: ApiDeps, run: Run): Promise<AegisRun> {
  const duration =
    run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
  return {
    runId: run.id,
    projectId: run.projectId,
    status: run.status,
    runType: 'manual',
    passed: run.passed,
    failed: run.failed + run.errored,
    skipped: run.skipped,
    total: run.total,
    durationMs: duration,
    error: run.error,
    url: runPageUrlOf(req, deps, run),
    statusUrl: aegisStatusUrl(req, deps, run),
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    ...(isTerminal(run.status) ? {} : { retryAfterSeconds: retryAfterOf(deps) }),
    ...(await phaseOf(deps.store, run)),
  };
}

/** The project a trigger token names; a user key names none, so it cannot use this shape. */
async function projectOfCaller(
  req: FastifyRequest,
  deps: ApiDeps,
): Promise<{ project: Project; principal: Principal }> {
  const caller = callerOf(req);
  if (caller.kind !== 'trigger') {
    throw new AppError(
      'bad_request',
      'this endpoint needs a project trigger token (the token names the project); with a ' +
        'personal API key use POST /api/v1/projects/:id/trigger',
    );
  }
  const project = await deps.store.projects.get(caller.projectId);
  if (!project) throw notFound('project');
  return { project, principal: requireTriggerAccess(req, project) };
}

/** `POST /api/v1/ci/trigger` and `GET /api/v1/ci/runs/:runId` (AegisRunner shape). */
export const aegisRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.post(
    '/trigger',
    {
      config: { auth: 'trigger', rateLimit: 'expensive' },
      schema: {
        tags,
        summary: 'Trigger a run (AegisRunner shape): { runId, status: "queued", runType, url }',
        description:
          'Bearer trigger token (an `aegis_` prefix is accepted). Runs of one PR ' +
          '(githubPrNumber), else of the project, queue behind each other. `wait: true` answers ' +
          '200 when the run passed, 422 run_failed otherwise, 504 wait_timeout.',
        querystring: waitQuery,
        headers: idempotencyHeaders,
        body: aegisTriggerBody.nullish(),
        response: {
          202: ackDto,
          200: z.union([aegisRunDto, ackDto]),
          422: z.union([waitFailure, errorSchema]),
          504: waitFailure,
          ...errorResponses(400, 401, 403, 404, 409, 429),
        },
      },
    },
    async (req, reply) => {
      const { project, principal } = await projectOfCaller(req, deps);
      const b: AegisTriggerBody = req.body ?? {};
      const crawl = crawlOf(b);
      const git = defined({
        repository: b.githubRepo,
        prNumber: b.githubPrNumber,
        commitSha: b.githubCommitSha,
      });
      const { run, replayed } = await trigger(
        triggerDeps(deps),
        project,
        {
          shape: 'aegis',
          body: withoutTokens(b),
          idempotencyKey: req.headers['idempotency-key'],
          selection: { suites: b.suiteIds, testIds: b.caseIds },
          ...strategyOf({
            strategy: aegisStrategyOf(b.selectionStrategy),
            changedFiles: b.changedFiles,
          }),
          baseUrl: b.baseUrl,
          environment: b.environmentId,
          browser: b.browserProfile,
          device: b.device,
          ...(b.testDataSetId !== undefined ? { options: { dataSet: b.testDataSetId } } : {}),
          ...(crawl ? { crawl } : {}),
          git,
          // AegisRunner documents parallel calls (one per browser) each getting its run: queue
          // them rather than refuse, so no Aegis pipeline meets a 409 it never had.
          concurrency: { policy: 'queue' },
          ...feedbackOf(
            deps,
            aegisFeedbackFields(b),
            (r) => runPageUrlOf(req, deps, r),
            aegisNames,
          ),
        },
        principal,
      );
      if (replayed) markReplay(reply);
      if (b.wait === true || queryWants(req.query)) {
        const answer = await waitForAnswer(req, reply, deps, run, (r) => toAegisRun(req, deps, r));
        if (!answer) return reply;
        return reply.code(answer.status).send(answer.body);
      }
      return reply.code(replayed ? 200 : 202).send({
        runId: run.id,
        status: 'queued' as const,
        runType: 'manual' as const,
        url: runPageUrlOf(req, deps, run),
        statusUrl: aegisStatusUrl(req, deps, run),
      });
    },
  );

  app.get(
    '/runs/:runId',
    {
      config: { auth: 'trigger' },
      schema: {
        tags,
        summary: 'Status of a run (AegisRunner shape): status, counts, duration, link',
        params: z.object({ runId: z.string().min(1).max(200) }),
        response: { 200: aegisRunDto, ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const { run } = await readableRun(req, deps, req.params.runId);
      setRetryAfter(reply, deps, run);
      return toAegisRun(req, deps, run);
    },
  );
};
