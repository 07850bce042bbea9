import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { DEFAULT_ENVIRONMENT, parallelWorkersSchema } from '../../domain/project.ts';
import { selectionSchema as runSelectionSchema } from '../../domain/run.ts';
import { normalizeSelection } from '../../engine/plan.ts';
import { cronProblem, nextFireTimes, timezoneProblem } from '../../engine/schedule-cron.ts';
import type { Store } from '../../store/connect.ts';
import type { Schedule, ScheduleInput } from '../../store/schedules.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import {
  checkScheduleOptions,
  scheduleRunDto,
  scheduleRunDtoFields,
  scheduleRunFields,
  scheduleStrategyOf,
} from '../schedule-fields.ts';
import { baseUrlSchema } from './projects.ts';
import { defined } from '../../domain/defined.ts';

const NEXT_RUNS = 5;

const cronSchema = z
  .string()
  .trim()
  .max(200)
  .superRefine((cron, ctx) => {
    const why = cronProblem(cron);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  })
  .describe('Five-field cron pattern (minute hour day-of-month month day-of-week) or @daily …');

const timezoneSchema = z
  .string()
  .trim()
  .max(100)
  .superRefine((tz, ctx) => {
    const why = timezoneProblem(tz);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  })
  .describe('IANA time zone the cron pattern is read in, e.g. Europe/Berlin');

const idList = z.array(z.string().trim().min(1).max(200)).max(500);
const selectionSchema = z
  .strictObject({ suites: idList.optional(), tags: idList.optional(), testIds: idList.optional() })
  .describe('Which approved tests run; empty means all of them');

const fields = {
  name: z.string().trim().min(1).max(100).describe('Unique in the project; the runs’ actor'),
  cron: cronSchema,
  timezone: timezoneSchema,
  enabled: z.boolean(),
  selection: selectionSchema,
  environment: z.string().min(1).max(63).nullable().describe('Environment name; null for none'),
  baseUrl: baseUrlSchema.nullable().describe("Overrides the environment's and project's baseUrl"),
  parallelWorkers: parallelWorkersSchema.nullable(),
};

const createBody = z.strictObject({
  name: fields.name,
  cron: fields.cron,
  timezone: fields.timezone.default('UTC'),
  enabled: fields.enabled.default(true),
  selection: fields.selection.default({}),
  environment: fields.environment.optional(),
  baseUrl: fields.baseUrl.optional(),
  parallelWorkers: fields.parallelWorkers.optional(),
  strategy: scheduleRunFields.strategy.optional(),
  recentDays: scheduleRunFields.recentDays,
  minFlakyScore: scheduleRunFields.minFlakyScore,
  options: scheduleRunFields.options.optional(),
});

const patchBody = z.strictObject({
  name: fields.name.optional(),
  cron: fields.cron.optional(),
  timezone: fields.timezone.optional(),
  enabled: fields.enabled.optional(),
  selection: fields.selection.optional(),
  environment: fields.environment.optional(),
  baseUrl: fields.baseUrl.optional(),
  parallelWorkers: fields.parallelWorkers.optional(),
  strategy: scheduleRunFields.strategy.optional(),
  recentDays: scheduleRunFields.recentDays,
  minFlakyScore: scheduleRunFields.minFlakyScore,
  options: scheduleRunFields.options.optional(),
});

const scheduleDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    cron: z.string(),
    timezone: z.string(),
    enabled: z.boolean(),
    selection: runSelectionSchema,
    environment: z.string().nullable(),
    baseUrl: z.string().nullable(),
    parallelWorkers: z.number().nullable(),
    ...scheduleRunDtoFields,
    nextRunAt: z.string().nullable().describe('Next fire time (ISO, UTC); null when disabled'),
    nextRuns: z.array(z.string()).describe(`The next ${NEXT_RUNS} fire times (ISO, UTC)`),
    lastFiredAt: z.string().nullable(),
    lastRunId: z.string().nullable(),
    lastError: z.string().nullable().describe('Why the last firing started no run'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Schedule' });
type ScheduleDto = z.output<typeof scheduleDto>;

/** The schedule as the API shows it, with its next fire times after `now`. */
function toScheduleDto(s: Schedule, now: Date): ScheduleDto {
  const nextRuns = s.enabled
    ? nextFireTimes(s.cron, s.timezone, now, NEXT_RUNS).map((d) => d.toISOString())
    : [];
  return {
    id: s.id,
    projectId: s.projectId,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    enabled: s.enabled,
    selection: s.selection,
    environment: s.environment,
    baseUrl: s.baseUrl,
    parallelWorkers: s.parallelWorkers,
    ...scheduleRunDto(s),
    nextRunAt: nextRuns[0] ?? null,
    nextRuns,
    lastFiredAt: s.lastFiredAt,
    lastRunId: s.lastRunId,
    lastError: s.lastError,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** A named environment must exist when the schedule is written, not only when it fires. */
async function assertEnvironment(store: Store, projectId: string, name: string | null | undefined) {
  // `default` may be named before it exists: runs then use the project's base URL (Engine.createRun).
  if (!name || name === DEFAULT_ENVIRONMENT) return;
  if (!(await store.environments.get(projectId, name))) {
    throw new AppError('validation_failed', `environment "${name}" not found in this project`, [
      { path: 'body.environment', message: 'no such environment' },
    ]);
  }
}

const params = z.object({ id: projectIdParam });
const itemParams = z.object({ id: projectIdParam, scheduleId: z.string().min(1) });
const tags = ['schedules'];
// Writing a schedule starts runs later on, so API keys need the trigger scope, as for triggers.
const writeConfig = { scope: 'runs:trigger' as const };

/**
 * Cron schedules of a project (inside the project scope: viewer reads, editor writes). The
 * Scheduler (src/engine/scheduler.ts) fires them; these routes only store and describe them.
 */
export const scheduleRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '/schedules',
    {
      schema: {
        tags,
        summary: "List a project's schedules with their next fire times",
        params,
        response: { 200: z.object({ items: z.array(scheduleDto) }), ...errorResponses(404) },
      },
    },
    async (req) => {
      const now = new Date();
      const items = await store.schedules.list(projectOf(req).id);
      return { items: items.map((s) => toScheduleDto(s, now)) };
    },
  );

  app.get(
    '/schedules/:scheduleId',
    {
      schema: {
        tags,
        summary: 'Get a schedule',
        params: itemParams,
        response: { 200: scheduleDto, ...errorResponses(404) },
      },
    },
    async (req) => {
      const s = await store.schedules.get(projectOf(req).id, req.params.scheduleId);
      if (!s) throw notFound('schedule');
      return toScheduleDto(s, new Date());
    },
  );

  app.post(
    '/schedules',
    {
      config: writeConfig,
      schema: {
        tags,
        summary: 'Create a schedule',
        params,
        body: createBody,
        response: { 201: scheduleDto, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const b = req.body;
      await assertEnvironment(store, project.id, b.environment);
      await checkScheduleOptions(store, project.id, b.options);
      const input: ScheduleInput = {
        name: b.name,
        cron: b.cron,
        timezone: b.timezone,
        enabled: b.enabled,
        selection: normalizeSelection(b.selection),
        environment: b.environment ?? null,
        baseUrl: b.baseUrl ?? null,
        parallelWorkers: b.parallelWorkers ?? null,
        strategy: scheduleStrategyOf(b) ?? null,
        options: b.options ?? null,
        createdBy: req.principal?.kind === 'user' ? req.principal.userId : null,
      };
      const s = await store.schedules.create(project.id, input);
      return reply.code(201).send(toScheduleDto(s, new Date()));
    },
  );

  app.patch(
    '/schedules/:scheduleId',
    {
      config: writeConfig,
      schema: {
        tags,
        summary: 'Change a schedule (enabling it or changing its cron skips missed firings)',
        params: itemParams,
        body: patchBody,
        response: { 200: scheduleDto, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const projectId = projectOf(req).id;
      const { selection, strategy, recentDays, minFlakyScore, ...rest } = req.body;
      await assertEnvironment(store, projectId, rest.environment);
      await checkScheduleOptions(store, projectId, rest.options);
      const strategyRequest = scheduleStrategyOf({ strategy, recentDays, minFlakyScore });
      const s = await store.schedules.update(projectId, req.params.scheduleId, {
        ...rest,
        ...(selection !== undefined ? { selection: normalizeSelection(selection) } : {}),
        ...defined({ strategy: strategyRequest }),
      });
      if (!s) throw notFound('schedule');
      return toScheduleDto(s, new Date());
    },
  );

  app.delete(
    '/schedules/:scheduleId',
    {
      config: writeConfig,
      schema: {
        tags,
        summary: 'Delete a schedule',
        params: itemParams,
        response: { 204: z.undefined(), ...errorResponses(403, 404) },
      },
    },
    async (req, reply) => {
      if (!(await store.schedules.delete(projectOf(req).id, req.params.scheduleId))) {
        throw notFound('schedule');
      }
      return reply.code(204).send();
    },
  );
};
