import { parseIntFlag } from './int-flag.ts';
import type { Command } from 'commander';
import { AppError } from '../domain/errors.ts';
import {
  resolveRunOptions,
  runOptionsInputSchema,
  type RunOptionsInput,
} from '../domain/run-options.ts';
import { strategies, type StrategyRequest } from '../domain/selection.ts';
import { checkRunOptions } from '../engine/run-capabilities.ts';
import { parseRetries } from './retry-flags.ts';
import { defined } from '../domain/defined.ts';

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

const scheduleStrategies = strategies.filter((s) => s !== 'changed');

/** Add the strategy and run-option flags to `schedule create`. */
export function addScheduleRunFlags(cmd: Command): Command {
  return cmd
    .option('--strategy <name>', `narrow each firing: ${scheduleStrategies.join(', ')}`)
    .option('--recent-days <n>', 'strategy recent: days back (default 7)')
    .option('--min-flaky-score <n>', 'strategy flaky: lowest flaky score 0–100 (default 10)')
    .option('--retries <n>', 'extra attempts for a failing test (0–5)', parseRetries)
    .option('--fail-on-flaky', 'a test that passes only on retry fails the run')
    .option('--browser <name>', 'chromium, firefox or webkit')
    .option('--device <name>', 'desktop, mobile, or a Playwright device name')
    .option('--screenshots <mode>', 'failure (default) or every-step');
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
    ...(o.recentDays !== undefined
      ? { recentDays: parseIntFlag('--recent-days', o.recentDays, 1, 365) }
      : {}),
    ...(o.minFlakyScore !== undefined
      ? { minFlakyScore: parseIntFlag('--min-flaky-score', o.minFlakyScore, 0, 100) }
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
  const parsed = runOptionsInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue?.path[0] ?? 'option');
    throw new AppError('validation_failed', `--${flag}: ${issue?.message ?? 'invalid value'}`, {
      field: flag,
    });
  }
  checkRunOptions(resolveRunOptions(parsed.data));
  return parsed.data;
}
