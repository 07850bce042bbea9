import type { Command } from 'commander';
import { AppError } from '../domain/errors.ts';
import { describeChoices } from '../domain/option-text.ts';
import {
  browserNames,
  defaultRunOptions,
  resolveRunOptions,
  runOptionsInputSchema,
  screenshotModes,
  type RunOptionsInput,
} from '../domain/run-options.ts';
import { scheduleStrategies, type StrategyRequest } from '../domain/selection.ts';
import { checkRunOptions } from '../engine/run-capabilities.ts';
import { parseRetries, retriesHelp } from './retry-flags.ts';
import {
  minFlakyScoreHelp,
  parseMinFlakyScore,
  parseRecentDays,
  recentDaysHelp,
} from './selection-flags.ts';
import { defined } from '../domain/defined.ts';
import { parseFlags } from './parse-flag.ts';

/** `schedule create` flags for the strategy and run options of every firing. */
export interface ScheduleRunFlags {
  strategy?: string;
  recentDays?: string;
  minFlakyScore?: string;
  retries?: number;
  failOnFlaky?: boolean;
  browser?: string;
  device?: string;
  screenshots?: string;
}

/** Add the strategy and run-option flags to `schedule create`. */
export function addScheduleRunFlags(cmd: Command): Command {
  return cmd
    .option('--strategy <name>', `narrow each firing: ${scheduleStrategies.join(', ')}`)
    .option('--recent-days <n>', recentDaysHelp)
    .option('--min-flaky-score <n>', minFlakyScoreHelp)
    .option('--retries <n>', retriesHelp, parseRetries)
    .option('--fail-on-flaky', 'a test that passes only on retry fails the run')
    .option('--browser <name>', describeChoices(browserNames, defaultRunOptions.browser))
    .option('--device <name>', 'desktop, mobile, or a Playwright device name')
    .option(
      '--screenshots <mode>',
      describeChoices(screenshotModes, defaultRunOptions.screenshots),
    );
}

/** The strategy the flags ask for; `changed` and inputs without --strategy are refused. */
export function scheduleStrategyOfFlags(o: ScheduleRunFlags): StrategyRequest | null {
  if (o.strategy === undefined) {
    if (o.recentDays !== undefined || o.minFlakyScore !== undefined) {
      throw new AppError('validation_failed', '--recent-days/--min-flaky-score need --strategy');
    }
    return null;
  }
  const strategy = scheduleStrategies.find((s) => s === o.strategy);
  if (!strategy) {
    throw new AppError(
      'validation_failed',
      `--strategy must be one of ${scheduleStrategies.join(', ')} for a schedule, got ` +
        `"${o.strategy}" (changed needs a push's changed files: trigger it from CI)`,
    );
  }
  return {
    strategy,
    ...(o.recentDays !== undefined ? { recentDays: parseRecentDays(o.recentDays) } : {}),
    ...(o.minFlakyScore !== undefined
      ? { minFlakyScore: parseMinFlakyScore(o.minFlakyScore) }
      : {}),
  };
}

/** The run options the flags ask for, checked as POST /runs checks them; null for none. */
export function scheduleOptionsOfFlags(o: ScheduleRunFlags): RunOptionsInput | null {
  const raw: Record<string, unknown> = {
    ...defined({ retries: o.retries }),
    ...(o.failOnFlaky ? { failOnFlaky: true } : {}),
    ...defined({ browser: o.browser, device: o.device, screenshots: o.screenshots }),
  };
  if (Object.keys(raw).length === 0) return null;
  const options = parseFlags(runOptionsInputSchema, raw);
  checkRunOptions(resolveRunOptions(options));
  return options;
}
