import { AppError } from '../domain/errors.ts';
import {
  DEFAULT_MIN_FLAKY_SCORE,
  DEFAULT_RECENT_DAYS,
  strategyInputShape as input,
  type StrategyRequest,
} from '../domain/selection.ts';
import { defined } from '../domain/defined.ts';
import { rangeOf } from '../domain/option-text.ts';

/** Body fields that pick a selection strategy; shared by POST /runs, triggers and /plan. */
export const strategyFields = {
  strategy: input.strategy
    .optional()
    .describe(
      'Narrow the selection: failed (last finished run, of the git ref when given), flaky ' +
        '(score ≥ minFlakyScore), recent (created/changed in recentDays), changed (changedFiles/' +
        'changedUrls matched by covers globs, visited pages and goto paths)',
    ),
  changedFiles: input.changedFiles
    .optional()
    .describe('Strategy changed: changed repository paths'),
  changedUrls: input.changedUrls
    .optional()
    .describe('Strategy changed: changed URL paths (or URLs)'),
  recentDays: input.recentDays
    .optional()
    .describe(`Strategy recent; default ${DEFAULT_RECENT_DAYS}`),
  minFlakyScore: input.minFlakyScore
    .optional()
    .describe(
      `Strategy flaky: lowest flaky score (${rangeOf(input.minFlakyScore)}); ` +
        `default ${DEFAULT_MIN_FLAKY_SCORE}`,
    ),
};

export interface StrategyBody {
  strategy?: StrategyRequest['strategy'];
  changedFiles?: string[];
  changedUrls?: string[];
  recentDays?: number;
  minFlakyScore?: number;
}

/** The strategy request of a body; strategy inputs without a strategy are refused by name. */
export function strategyOf(b: StrategyBody, branch?: string): StrategyRequest | undefined {
  if (b.strategy === undefined) {
    const stray = (['changedFiles', 'changedUrls', 'recentDays', 'minFlakyScore'] as const).find(
      (f) => b[f] !== undefined,
    );
    if (stray) {
      throw new AppError('validation_failed', `${stray} needs a strategy (e.g. "changed")`, {
        field: 'strategy',
      });
    }
    return undefined;
  }
  return {
    strategy: b.strategy,
    ...(b.changedFiles ? { changedFiles: b.changedFiles } : {}),
    ...(b.changedUrls ? { changedUrls: b.changedUrls } : {}),
    ...defined({ recentDays: b.recentDays, minFlakyScore: b.minFlakyScore, branch }),
  };
}
