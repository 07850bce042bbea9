import { Command, CommanderError } from 'commander';
import { AppError } from '../domain/errors.ts';
import { TestValidationError } from '../domain/test-definition.ts';
import { registerArtifacts } from './commands/artifacts.ts';
import { registerCi } from './commands/ci.ts';
import { registerCrawl } from './commands/crawl.ts';
import { registerDemo } from './commands/demo.ts';
import { registerExport } from './commands/export.ts';
import { registerImport } from './commands/import.ts';
import { registerRun } from './commands/run.ts';
import { registerPlan } from './commands/plan.ts';
import { registerServe } from './commands/serve.ts';
import { registerProjects } from './commands/projects.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerScan } from './commands/scan.ts';
import { registerTests } from './commands/tests.ts';
import { registerToken } from './commands/token.ts';
import { registerUser } from './commands/user.ts';
import { registerWorker } from './commands/worker.ts';

const program = new Command()
  .name('greenlight')
  .description(
    'Self-hosted quality gate: end-to-end browser tests, API tests and one verdict for CI/CD.',
  )
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerWorker(program);
registerDemo(program);
registerRun(program);
registerPlan(program);
registerImport(program);
registerExport(program);
registerTests(program);
registerProjects(program);
registerSchedule(program);
registerUser(program);
registerToken(program);
registerCi(program);
registerCrawl(program);
registerArtifacts(program);
registerScan(program);

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
