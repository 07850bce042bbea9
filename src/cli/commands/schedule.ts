import { Option, type Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import { normalizeSelection } from '../../engine/plan.ts';
import { DEFAULT_ENVIRONMENT } from '../../domain/project.ts';
import { cronProblem, nextFireTime, timezoneProblem } from '../../engine/schedule-cron.ts';
import { openStore, type Store } from '../../store/connect.ts';
import { storeOptions } from '../../store/secret-key.ts';
import {
  addScheduleRunFlags,
  scheduleOptionsOfFlags,
  scheduleStrategyOfFlags,
  type ScheduleRunFlags,
} from '../schedule-flags.ts';
import { addTagFlags, tagsOfFlags, type TagFlags } from '../tag-flags.ts';

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOptions(loadConfig()));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function projectIdOf(store: Store, idOrSlug: string): Promise<string> {
  const project = await store.projects.get(idOrSlug);
  if (!project) throw notFound(`project "${idOrSlug}"`);
  return project.id;
}

interface CreateOptions extends ScheduleRunFlags, TagFlags {
  name: string;
  cron: string;
  timezone: string;
  suite?: string[];
  suites?: string[];
  environment?: string;
  baseUrl?: string;
  disabled?: boolean;
}

/** `greenlight schedule list|create`: the same schedules as the HTTP API, on the local store. */
export function registerSchedule(program: Command): void {
  const cmd = program.command('schedule').description('cron schedules of a project');

  cmd
    .command('list')
    .argument('<project>', 'project id or slug')
    .description("list a project's schedules with their next fire time")
    .action(async (idOrSlug: string) => {
      await withStore(async (store) => {
        const schedules = await store.schedules.list(await projectIdOf(store, idOrSlug));
        if (schedules.length === 0) process.stdout.write('No schedules.\n');
        const now = new Date();
        for (const s of schedules) {
          const next = s.enabled ? nextFireTime(s.cron, s.timezone, now)?.toISOString() : null;
          const last = s.lastError ? `last error: ${s.lastError}` : `last: ${s.lastFiredAt ?? '-'}`;
          process.stdout.write(
            `${s.name}\t${s.cron} (${s.timezone})\t${next ? `next ${next}` : 'disabled'}\t${last}\n`,
          );
        }
      });
    });

  const create = addTagFlags(cmd.command('create'), 'tags to select')
    .argument('<project>', 'project id or slug')
    .description('create a schedule')
    .requiredOption('--name <name>', 'schedule name (unique in the project)')
    .requiredOption('--cron <pattern>', 'five-field cron pattern, e.g. "0 6 * * 1-5"')
    .option('--timezone <zone>', 'IANA time zone', 'UTC')
    .option('--suite <name...>', 'suites to select (repeatable, or comma-separated)')
    .addOption(new Option('--suites <name...>', 'same as --suite').hideHelp())
    .option('--environment <name>', 'environment to run against')
    .option('--base-url <url>', 'base URL override')
    .option('--disabled', 'create it disabled')
    .action(async (idOrSlug: string, o: CreateOptions) => {
      const why = cronProblem(o.cron) ?? timezoneProblem(o.timezone);
      if (why) throw new AppError('validation_failed', why);
      if (o.baseUrl !== undefined && !/^https?:\/\/[^/]/i.test(o.baseUrl)) {
        throw new AppError('validation_failed', `--base-url is not an http(s) URL: ${o.baseUrl}`);
      }
      const strategy = scheduleStrategyOfFlags(o);
      const options = scheduleOptionsOfFlags(o);
      await withStore(async (store) => {
        const projectId = await projectIdOf(store, idOrSlug);
        if (
          o.environment &&
          o.environment !== DEFAULT_ENVIRONMENT &&
          !(await store.environments.get(projectId, o.environment))
        ) {
          throw new AppError('validation_failed', `environment "${o.environment}" not found`);
        }
        const s = await store.schedules.create(projectId, {
          name: o.name.trim(),
          cron: o.cron.trim(),
          timezone: o.timezone,
          enabled: o.disabled !== true,
          selection: normalizeSelection({
            tags: tagsOfFlags(o),
            suites: tagsOfFlags({ tag: o.suite, tags: o.suites }),
          }),
          environment: o.environment ?? null,
          baseUrl: o.baseUrl ?? null,
          parallelWorkers: null,
          strategy,
          options,
        });
        const next = s.enabled ? nextFireTime(s.cron, s.timezone, new Date()) : null;
        process.stdout.write(
          `Created schedule ${s.name} (${s.id})${next ? `, next run ${next.toISOString()}` : ''}\n`,
        );
      });
    });
  addScheduleRunFlags(create);
}
