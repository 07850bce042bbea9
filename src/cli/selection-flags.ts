import { intFlag } from './parse-flag.ts';
import type { Command } from 'commander';
import { AppError } from '../domain/errors.ts';
import {
  DEFAULT_MIN_FLAKY_SCORE,
  DEFAULT_RECENT_DAYS,
  strategies,
  strategyInputShape,
  type Strategy,
  type StrategyRequest,
} from '../domain/selection.ts';
import { rangeOf } from '../domain/option-text.ts';
import { defined } from '../domain/defined.ts';

/** `--strategy` and its inputs, as `run` and `plan` take them. */
export interface SelectionFlags {
  strategy?: Strategy;
  changedFile?: string[];
  changedUrl?: string[];
  recentDays?: number;
  minFlakyScore?: number;
  branch?: string;
}

function parseStrategy(v: string): Strategy {
  if ((strategies as readonly string[]).includes(v)) return v as Strategy;
  throw new AppError(
    'validation_failed',
    `--strategy must be one of ${strategies.join(', ')}, got "${v}"`,
  );
}

/** `--recent-days` and `--min-flaky-score`, checked with the bounds the API checks them with. */
export const parseRecentDays = intFlag('--recent-days', strategyInputShape.recentDays);
export const parseMinFlakyScore = intFlag('--min-flaky-score', strategyInputShape.minFlakyScore);
export const recentDaysHelp = `strategy recent: days back (default ${DEFAULT_RECENT_DAYS})`;
export const minFlakyScoreHelp =
  `strategy flaky: lowest flaky score ${rangeOf(strategyInputShape.minFlakyScore)} ` +
  `(default ${DEFAULT_MIN_FLAKY_SCORE})`;

/** Add the strategy flags to a command. */
export function addSelectionFlags(cmd: Command): Command {
  return cmd
    .option(
      '--strategy <name>',
      `narrow the tests: ${strategies.join(', ')} (see README, selection strategies)`,
      parseStrategy,
    )
    .option('--changed-file <path...>', 'strategy changed: repository paths that changed')
    .option('--changed-url <path...>', 'strategy changed: URL paths that changed')
    .option('--recent-days <n>', recentDaysHelp, parseRecentDays)
    .option('--min-flaky-score <n>', minFlakyScoreHelp, parseMinFlakyScore)
    .option('--branch <ref>', 'strategy failed: the last run triggered for this git ref');
}

/** The strategy request of the flags; inputs without --strategy are refused by name. */
export function strategyOfFlags(o: SelectionFlags): StrategyRequest | undefined {
  if (!o.strategy) {
    if (o.changedFile?.length || o.changedUrl?.length) {
      throw new AppError(
        'validation_failed',
        '--changed-file/--changed-url need --strategy changed',
      );
    }
    return undefined;
  }
  return {
    strategy: o.strategy,
    ...(o.changedFile?.length ? { changedFiles: o.changedFile } : {}),
    ...(o.changedUrl?.length ? { changedUrls: o.changedUrl } : {}),
    ...defined({ recentDays: o.recentDays, minFlakyScore: o.minFlakyScore }),
    ...(o.branch ? { branch: o.branch } : {}),
  };
}
