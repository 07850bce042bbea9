import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { startIdleCompaction } from '../idle-compaction.ts';
import { openRuntime } from '../runtime.ts';
import { closeOnSignals } from '../shutdown.ts';
import { parseWorkers } from './run.ts';
import { rangeOf } from '../../domain/option-text.ts';
import { parallelWorkersSchema } from '../../domain/project.ts';

/** Scheme of the database URL, for the start-up line (never the URL: it may hold a password). */
function databaseKind(url: string): string {
  return /^postgres(ql)?:\/\//i.test(url) ? 'PostgreSQL' : 'SQLite';
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'execute queued tests from the database (no API); run several beside `greenlight serve`',
    )
    .option(
      '-w, --workers <n>',
      `tests this process runs at once (${rangeOf(parallelWorkersSchema)}, GREENLIGHT_WORKERS)`,
      parseWorkers,
    )
    .action(async (o: { workers?: number }) => {
      const config = loadConfig(process.env, o.workers ? { workers: o.workers } : {});
      if (config.workers < 1) {
        throw new Error(
          'a worker with GREENLIGHT_WORKERS=0 would take no jobs: give it ' +
            rangeOf(parallelWorkersSchema),
        );
      }
      // The engine alone: no API, scheduler or demo. More of these on more machines share the
      // work of one `greenlight serve` (DATABASE_URL on PostgreSQL).
      const starting = openRuntime(config, { kind: 'worker' });
      // Handlers first: a signal during start-up (or right after the line below) drains too.
      closeOnSignals(async () => (await starting).close(), { graceMs: config.stopGraceMs });
      const rt = await starting;
      if (config.idleCompaction === 'on') startIdleCompaction({ logger: rt.logger });
      process.stdout.write(
        `Greenlight worker taking jobs from ${databaseKind(config.databaseUrl)}, ` +
          `${config.workers} at once (pid ${process.pid})\n`,
      );
    });
}
