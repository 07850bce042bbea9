import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { strategies, type StrategyRequest } from '../domain/selection.ts';
import { defined } from '../domain/defined.ts';

const paths = z.array(z.string().min(1).max(1000)).min(1).max(5000);

/** Body fields that pick a selection strategy; shared by POST /runs, triggers and /plan. */
export const strategyFields = {
  strategy: z
    .enum(strategies)
    .optional()
    .describe(
      'Narrow the selection: failed (last finished run, of the git ref when given), flaky ' +
        '(score ≥ minFlakyScore), recent (created/changed in recentDays), changed (changedFiles/' +
        'changedUrls matched by covers globs, visited pages and goto paths)',
    ),
  changedFiles: paths.optional().describe('Strategy changed: changed repository paths'),
  changedUrls: paths.optional().describe('Strategy changed: changed URL paths (or URLs)'),
  recentDays: z.number().int().min(1).max(365).optional().describe('Strategy recent; default 7'),
  minFlakyScore: z
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe('Strategy flaky: lowest flaky score (0–100); default 10'),
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
