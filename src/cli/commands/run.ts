import { intFlag } from '../parse-flag.ts';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { describeChoices, rangeOf } from '../../domain/option-text.ts';
import { parallelWorkersSchema } from '../../domain/project.ts';
import {
  browserNames,
  defaultRunOptions,
  networkPresets,
  screenshotModes,
  type ScreenshotMode,
} from '../../domain/run-options.ts';
import type { Run } from '../../domain/run.ts';
import { exitCodeFor } from '../../domain/verdict.ts';
import {
  DEMO_SLUG,
  ensureDemoProject,
  demoPort,
  ensureDemoSite,
  trustDemoSite,
  type DemoSiteHandle,
} from '../demo-project.ts';
import { createProgress, formatSummary } from '../progress.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { emulationOptionsOfFlags, type EmulationFlags } from '../emulation-flags.ts';
import {
  parseRetries,
  parseTimeout,
  retriesHelp,
  retryOptionsOfFlags,
  type RetryFlags,
} from '../retry-flags.ts';
import { writeReports } from '../write-reports.ts';
import { plural } from '../plural.ts';
import { addTagFlags, tagsOfFlags, type TagFlags } from '../tag-flags.ts';
import { addSelectionFlags, strategyOfFlags, type SelectionFlags } from '../selection-flags.ts';

export interface RunOptions extends EmulationFlags, RetryFlags, SelectionFlags, TagFlags {
  suite?: string[];
  test?: string[];
  workers?: number;
  baseUrl?: string;
  env?: string;
  trace?: boolean;
  screenshots?: ScreenshotMode;
  video?: boolean;
  dataSet?: string;
  /** false with --no-healing. */
  healing?: boolean;
  json?: boolean;
  junit?: string;
  html?: string;
  sarif?: string;
  reportJson?: string;
  markdown?: string;
}

/** Run a project's approved tests in this process and print progress and the verdict. */
export async function runProject(rt: Runtime, projectRef: string, o: RunOptions): Promise<Run> {
  let demo: DemoSiteHandle | undefined;
  try {
    let project = await rt.store.projects.get(projectRef);
    if (projectRef === DEMO_SLUG && !o.baseUrl) {
      demo = await ensureDemoSite({ port: demoPort(), dataDir: rt.config.dataDir });
      if (demo.note) process.stderr.write(`${demo.note}\n`);
      trustDemoSite(rt.config, demo);
      project = await ensureDemoProject(rt.store, rt.config.dataDir, demo.url);
    }
    if (!project)
      throw new AppError(
        'not_found',
        `project "${projectRef}" not found (greenlight projects lists them)`,
      );
    const run = await rt.engine.createRun(project.id, {
      selection: {
        ...(o.suite?.length ? { suites: o.suite } : {}),
        ...(tagsOfFlags(o).length ? { tags: tagsOfFlags(o) } : {}),
        ...(o.test?.length ? { testIds: o.test } : {}),
      },
      trigger: { source: 'cli', actor: process.env.USER ?? 'cli' },
      ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
      ...(o.env ? { environment: o.env } : {}),
      ...(o.workers ? { parallelWorkers: o.workers } : {}),
      strategy: strategyOfFlags(o),
      options: {
        ...emulationOptionsOfFlags(o),
        ...retryOptionsOfFlags(o),
        ...(o.trace ? { trace: true } : {}),
        ...(o.screenshots ? { screenshots: o.screenshots } : {}),
        ...(o.video ? { video: true } : {}),
        ...(o.dataSet ? { dataSet: o.dataSet } : {}),
        ...(o.healing === false ? { healing: false } : {}),
      },
    });
    const out = o.json ? process.stderr : process.stdout;
    out.write(
      `Greenlight · ${project.slug} · run ${run.id} · ${plural(run.total, 'test')} · ${plural(run.parallelWorkers, 'worker')} · ${run.baseUrl}\n`,
    );
    const detail = run.selectionDetail;
    if (detail) {
      out.write(`Strategy ${detail.strategy}:\n`);
      for (const [id, why] of Object.entries(detail.reasons)) out.write(`  · ${id}: ${why}\n`);
    }
    const progress = createProgress(out, run.total);
    const unsubscribe = rt.events.subscribe(run.id, (e) => {
      if (e.type === 'test.started') progress.testStarted(String(e.testName ?? e.testId));
      if (e.type === 'test.retrying' && !out.isTTY) {
        out.write(
          `  ↻ ${String(e.testName ?? e.testId)}: attempt ${e.attempt} ${e.status}, retrying\n`,
        );
      }
      if (e.type === 'test.finished') {
        progress.testFinished({
          testName: String(e.testName ?? e.testId),
          status: String(e.status),
          durationMs: Number(e.durationMs ?? 0),
        });
      }
    });
    const stop = (): void => void rt.engine.cancelRun(project.id, run.id);
    process.once('SIGINT', stop);
    let finished: Run;
    try {
      finished = await rt.engine.waitForRun(run.id);
    } finally {
      unsubscribe();
      process.off('SIGINT', stop);
      progress.done();
    }
    const results = await rt.store.results.listByRun(run.id);
    if (o.json) process.stdout.write(`${JSON.stringify({ run: finished, results }, null, 2)}\n`);
    else
      out.write(
        `${formatSummary(finished, results, out.isTTY === true, rt.engine.artifactStore.location)}\n`,
      );
    const files = {
      junit: o.junit,
      html: o.html,
      sarif: o.sarif,
      json: o.reportJson,
      markdown: o.markdown,
    };
    const written = await writeReports(
      rt.store,
      { run: finished, project },
      files,
      rt.config.dataDir,
      rt.engine.artifactStore,
    );
    for (const line of written) out.write(`Report ${line}\n`);
    return finished;
  } finally {
    await demo?.close();
  }
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'run a project’s approved tests here and print the verdict (exit 0 passed, 1 failed, 2 error)',
    )
    .argument('<project>', 'project slug or id (`demo` starts the bundled demo site when needed)')
    .option('--suite <name...>', 'only tests of these suites')
    .option('--test <id...>', 'only these test ids')
    .option('-w, --workers <n>', workersHelp, parseWorkers)
    .option('--base-url <url>', 'run against this URL instead of the project’s')
    .option(
      '--env <name>',
      'environment (variables and base URL) to use; default: the project\'s "default" one',
    )
    .option('--trace', 'record a Playwright trace for every test')
    .addOption(
      new Option(
        '--screenshots <mode>',
        describeChoices(screenshotModes, defaultRunOptions.screenshots),
      ).choices(screenshotModes),
    )
    .option('--video', "record a video of every test (needs Playwright's ffmpeg)")
    .option('--retries <n>', retriesHelp, parseRetries)
    .option('--fail-on-flaky', 'a test that passes only on a retry fails the run')
    .option('--timeout <duration>', 'whole-run time limit: 90 (s), 90s, 15m, 1h', parseTimeout)
    .option('--data-set <name>', 'data set that tests with `data:` run once per row of')
    .option('--no-healing', 'fail a step whose locator finds nothing instead of healing it')
    .option(
      '--browser <name>',
      `${describeChoices(browserNames, defaultRunOptions.browser)} (must be installed)`,
    )
    .option('--device <name>', 'desktop, mobile, tablet, or a Playwright device ("iPhone 13")')
    .option('--viewport <WxH>', 'custom viewport such as 1024x768 (wins over the device’s)')
    .option('--locale <tag>', 'browser locale such as de-DE')
    .option('--timezone <zone>', 'IANA time zone such as Europe/Berlin')
    .option('--network <preset>', `throttle: ${describeChoices(networkPresets)}`)
    .option('--json', 'print the run and its results as JSON on stdout')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--sarif <file>', 'write a SARIF 2.1.0 report of failed tests')
    .option('--report-json <file>', 'write the versioned JSON report')
    .option('--markdown <file>', 'write the Markdown summary (PR comment, job summary)');
  addSelectionFlags(addTagFlags(cmd)).action(async (projectRef: string, o: RunOptions) => {
    const base = loadConfig(process.env, quietLogs());
    // This process exists for this run: give it as many browser slots as the run asks for.
    const rt = await openRuntime({ ...base, workers: Math.max(1, base.workers, o.workers ?? 0) });
    try {
      const run = await runProject(rt, projectRef, o);
      process.exitCode = exitCodeFor(run.status);
    } finally {
      await rt.close();
    }
  });
}

/** `--workers N`, within the bounds the API checks `parallelWorkers` with. */
export const parseWorkers = intFlag('--workers', parallelWorkersSchema);
export const workersHelp = `browser contexts at once (${rangeOf(parallelWorkersSchema)})`;

/** Commands that print their own progress keep server logs to warnings unless asked. */
export function quietLogs(): { logLevel: string } {
  return { logLevel: process.env.GREENLIGHT_LOG_LEVEL ?? 'warn' };
}
