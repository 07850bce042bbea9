import { Command, CommanderError } from 'commander';
import { AppError } from '../domain/errors.ts';
import { TestValidationError } from '../domain/test-definition.ts';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when that command runs: `serve` should not hold the crawl,
 * export and scan code (and their libraries) in memory for as long as it lives, and every short
 * CLI call starts faster. Help and unknown names load them all, in this order (the help's order).
 */
const commands: Record<string, () => Promise<Register>> = {
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  worker: async () => (await import('./commands/worker.ts')).registerWorker,
  demo: async () => (await import('./commands/demo.ts')).registerDemo,
  run: async () => (await import('./commands/run.ts')).registerRun,
  plan: async () => (await import('./commands/plan.ts')).registerPlan,
  import: async () => (await import('./commands/import.ts')).registerImport,
  export: async () => (await import('./commands/export.ts')).registerExport,
  tests: async () => (await import('./commands/tests.ts')).registerTests,
  // One module registers both `projects` and `project create`.
  projects: async () => (await import('./commands/projects.ts')).registerProjects,
  schedule: async () => (await import('./commands/schedule.ts')).registerSchedule,
  user: async () => (await import('./commands/user.ts')).registerUser,
  token: async () => (await import('./commands/token.ts')).registerToken,
  ci: async () => (await import('./commands/ci.ts')).registerCi,
  crawl: async () => (await import('./commands/crawl.ts')).registerCrawl,
  artifacts: async () => (await import('./commands/artifacts.ts')).registerArtifacts,
  scan: async () => (await import('./commands/scan.ts')).registerScan,
};
const named = process.argv[2] === 'project' ? 'projects' : process.argv[2];
const load = named !== undefined && Object.hasOwn(commands, named) ? commands[named] : undefined;
const registers = await Promise.all(load ? [load()] : Object.values(commands).map((l) => l()));

const program = new Command()
  .name('greenlight')
  .description(
    'Self-hosted quality gate: end-to-end browser tests, API tests and one verdict for CI/CD.',
  )
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
for (const register of registers) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  const message =
    e instanceof AppError || e instanceof TestValidationError
      ? e.message
      : e instanceof Error
        ? e.message
        : String(e);
  process.stderr.write(`greenlight: ${message}\n`);
  if (process.env.GREENLIGHT_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(2);
}
