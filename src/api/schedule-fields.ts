import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { resolveRunOptions, runOptionsInputSchema } from '../domain/run-options.ts';
import type { RunOptionsInput } from '../domain/run-options.ts';
import {
  scheduleStrategies,
  strategies,
  strategyInputShape,
  type Strategy,
  type StrategyRequest,
} from '../domain/selection.ts';
import { checkRunOptions } from '../engine/run-capabilities.ts';
import type { Store } from '../store/connect.ts';
import type { Schedule } from '../store/schedules.ts';
import { strategyFields } from './selection-fields.ts';
import { defined } from '../domain/defined.ts';

const strategySchema = strategyInputShape.strategy
  .nullable()
  .superRefine((s, ctx) => {
    if (s === 'changed') {
      ctx.addIssue({
        code: 'custom',
        message:
          'a schedule has no changed files or URLs to match; use ' +
          `${scheduleStrategies.join(', ')} (or trigger "changed" runs from CI)`,
      });
    }
  })
  .describe(
    'Narrow each firing: failed (tests that failed in the last finished run), flaky (score ≥ ' +
      'minFlakyScore), recent (created/changed in recentDays); null for the whole selection',
  );

/** Body fields of a schedule's strategy and run options (create and patch). */
export const scheduleRunFields = {
  strategy: strategySchema,
  recentDays: strategyFields.recentDays,
  minFlakyScore: strategyFields.minFlakyScore,
  options: runOptionsInputSchema
    .nullable()
    .describe(
      'Run options of each firing (retries, failOnFlaky, browser, device, screenshots, …), as ' +
        'POST /runs takes them; omitted ones come from the project; null for none',
    ),
};

/** How a schedule shows its strategy and options. */
export const scheduleRunDtoFields = {
  strategy: z.enum(strategies).nullable(),
  recentDays: z.number().int().nullable().describe('Strategy recent: days back'),
  minFlakyScore: z.number().int().nullable().describe('Strategy flaky: lowest flaky score'),
  options: runOptionsInputSchema.nullable(),
};

interface StrategyBody {
  strategy?: Strategy | null;
  recentDays?: number;
  minFlakyScore?: number;
}

/**
 * The strategy a body sets: undefined leaves it as it is (patch), null clears it. Its inputs
 * replace the old ones as a group, so an input without a strategy is refused by name.
 */
export function scheduleStrategyOf(b: StrategyBody): StrategyRequest | null | undefined {
  if (b.strategy === undefined || b.strategy === null) {
    const stray = (['recentDays', 'minFlakyScore'] as const).find((f) => b[f] !== undefined);
    if (stray) {
      throw new AppError('validation_failed', `${stray} needs a strategy (e.g. "recent")`, [
        { path: `body.${stray}`, message: 'needs a strategy' },
      ]);
    }
    return b.strategy;
  }
  return {
    strategy: b.strategy,
    ...defined({ recentDays: b.recentDays, minFlakyScore: b.minFlakyScore }),
  };
}

/**
 * Refuse, when a schedule is written, options its firings could never run with (a browser not
 * installed, an unknown device, a data set that does not exist), instead of failing every night.
 */
export async function checkScheduleOptions(
  store: Store,
  projectId: string,
  options: RunOptionsInput | null | undefined,
): Promise<void> {
  if (!options) return;
  checkRunOptions(resolveRunOptions(options));
  if (options.dataSet && !(await store.dataSets.get(projectId, options.dataSet))) {
    throw new AppError('validation_failed', `data set "${options.dataSet}" not found`, [
      { path: 'body.options.dataSet', message: 'no such data set' },
    ]);
  }
}

/** The strategy and options of a schedule as its DTO shows them. */
export function scheduleRunDto(s: Schedule): z.output<z.ZodObject<typeof scheduleRunDtoFields>> {
  return {
    strategy: s.strategy?.strategy ?? null,
    recentDays: s.strategy?.recentDays ?? null,
    minFlakyScore: s.strategy?.minFlakyScore ?? null,
    options: s.options,
  };
}
