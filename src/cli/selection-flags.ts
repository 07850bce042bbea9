import { parseIntFlag } from './int-flag.ts';
import type { Command } from 'commander';
import { AppError } from '../domain/errors.ts';
import { strategies, type Strategy, type StrategyRequest } from '../domain/selection.ts';
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

const intIn =
  (flag: string, min: number, max: number) =>
  (v: string): number =>
    parseIntFlag(flag, v, min, max);

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
    .option(
      '--recent-days <n>',
      'strategy recent: days back (default 7)',
      intIn('--recent-days', 1, 365),
    )
    .option(
      '--min-flaky-score <n>',
      'strategy flaky: lowest flaky score 0–100 (default 10)',
      intIn('--min-flaky-score', 0, 100),
    )
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
