import { Command, CommanderError, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sentriTriggerBody } from '../../src/api/routes/trigger.ts';
import { registerCi } from '../../src/cli/commands/ci.ts';
import { registerPlan } from '../../src/cli/commands/plan.ts';
import { registerRun } from '../../src/cli/commands/run.ts';
import { AppError } from '../../src/domain/errors.ts';
import { MAX_WORKERS, MIN_WORKERS } from '../../src/domain/project.ts';
import {
  browserNames,
  MAX_RETRIES,
  MAX_RUN_TIMEOUT_MS,
  screenshotModes,
} from '../../src/domain/run-options.ts';
import { strategyInputShape } from '../../src/domain/selection.ts';

// The API (its validation and its OpenAPI document) and the CLI read a run option's bounds and
// values from the domain's schema. Each case feeds the values just inside and just outside the
// domain's bounds to both edges: a bound restated in one of them and changed in the domain fails.

/** Whether the CLI takes the arguments: every command's action is replaced by a no-op. */
function cliAccepts(register: (program: Command) => void, args: string[]): boolean {
  const program = new Command().exitOverride();
  register(program);
  const quiet = (c: Command): void => {
    c.exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} })
      .action(() => {});
    c.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  try {
    program.parse(args, { from: 'user' });
    return true;
  } catch (e) {
    if (e instanceof AppError || e instanceof CommanderError) return false;
    throw e;
  }
}

const apiAccepts = (body: Record<string, unknown>): boolean =>
  sentriTriggerBody.safeParse(body).success;

interface Property {
  minimum?: number;
  maximum?: number;
  enum?: string[];
}
/** The trigger body's JSON Schema, as the OpenAPI document shows it (a component by its id). */
const triggerDoc = (
  z.toJSONSchema(sentriTriggerBody, { io: 'input' }) as {
    $defs: Record<string, { properties: Record<string, Property> }>;
  }
).$defs.SentriTrigger ?? { properties: {} };

/** The `--flag` option of a registered command (`ci run` is `['ci', 'run']`). */
function optionOf(register: (program: Command) => void, path: string[], flag: string): Option {
  const program = new Command();
  register(program);
  let cmd = program;
  for (const name of path) {
    const sub = cmd.commands.find((c) => c.name() === name);
    if (!sub) throw new Error(`no command ${name}`);
    cmd = sub;
  }
  const option = cmd.options.find((o) => o.long === flag);
  if (!option) throw new Error(`no option ${flag}`);
  return option;
}

const ciRun = (...args: string[]): string[] => ['ci', 'run', '--project', 'p', ...args];

describe('run option bounds come from the domain', () => {
  it('retries: 0 to MAX_RETRIES for the trigger, its OpenAPI schema, run and ci run', () => {
    for (const [n, ok] of [
      [-1, false],
      [0, true],
      [MAX_RETRIES, true],
      [MAX_RETRIES + 1, false],
    ] as const) {
      expect(apiAccepts({ retries: n }), `API retries ${n}`).toBe(ok);
      expect(cliAccepts(registerRun, ['run', 'p', '--retries', String(n)]), `run ${n}`).toBe(ok);
      expect(cliAccepts(registerCi, ciRun('--retries', String(n))), `ci run ${n}`).toBe(ok);
    }
    expect(triggerDoc.properties.retries).toMatchObject({ minimum: 0, maximum: MAX_RETRIES });
    expect(optionOf(registerRun, ['run'], '--retries').description).toContain(`0–${MAX_RETRIES}`);
  });

  it('the run time limit: positive and at most MAX_RUN_TIMEOUT_MS for timeoutMs and --timeout', () => {
    for (const [ms, ok] of [
      [0, false],
      [1, true],
      [MAX_RUN_TIMEOUT_MS, true],
      [MAX_RUN_TIMEOUT_MS + 1, false],
    ] as const) {
      expect(apiAccepts({ timeoutMs: ms }), `API timeoutMs ${ms}`).toBe(ok);
      expect(cliAccepts(registerRun, ['run', 'p', '--timeout', `${ms}ms`]), `${ms}ms`).toBe(ok);
    }
    expect(triggerDoc.properties.timeoutMs?.maximum).toBe(MAX_RUN_TIMEOUT_MS);
  });

  it('parallel workers: MIN_WORKERS to MAX_WORKERS for the trigger and --workers', () => {
    for (const [n, ok] of [
      [MIN_WORKERS - 1, false],
      [MIN_WORKERS, true],
      [MAX_WORKERS, true],
      [MAX_WORKERS + 1, false],
    ] as const) {
      expect(apiAccepts({ dialsConfig: { parallelWorkers: n } }), `API workers ${n}`).toBe(ok);
      expect(cliAccepts(registerRun, ['run', 'p', '--workers', String(n)]), `-w ${n}`).toBe(ok);
    }
  });

  it('strategy inputs: recentDays and minFlakyScore bounds for the trigger, run and plan', () => {
    const cases = [
      ['recentDays', '--recent-days', 'recent', strategyInputShape.recentDays],
      ['minFlakyScore', '--min-flaky-score', 'flaky', strategyInputShape.minFlakyScore],
    ] as const;
    for (const [field, flag, strategy, schema] of cases) {
      const min = schema.minValue ?? NaN;
      const max = schema.maxValue ?? NaN;
      expect(triggerDoc.properties[field]).toMatchObject({ minimum: min, maximum: max });
      for (const [n, ok] of [
        [min - 1, false],
        [min, true],
        [max, true],
        [max + 1, false],
      ] as const) {
        expect(apiAccepts({ strategy, [field]: n }), `API ${field} ${n}`).toBe(ok);
        const args = ['--strategy', strategy, flag, String(n)];
        expect(cliAccepts(registerRun, ['run', 'p', ...args]), `run ${flag} ${n}`).toBe(ok);
        const plan = ['plan', 'p', '--shards', '2', ...args];
        expect(cliAccepts(registerPlan, plan), `plan ${flag} ${n}`).toBe(ok);
      }
    }
  });

  it('screenshots and browser: the domain lists are the API enum and the CLI choices', () => {
    expect(triggerDoc.properties.screenshots?.enum).toEqual([...screenshotModes]);
    for (const mode of screenshotModes) {
      expect(apiAccepts({ screenshots: mode }), mode).toBe(true);
      expect(cliAccepts(registerRun, ['run', 'p', '--screenshots', mode]), mode).toBe(true);
      expect(cliAccepts(registerCi, ciRun('--screenshots', mode)), mode).toBe(true);
    }
    expect(apiAccepts({ screenshots: 'always' })).toBe(false);
    expect(cliAccepts(registerCi, ciRun('--screenshots', 'always'))).toBe(false);
    expect(optionOf(registerRun, ['run'], '--screenshots').argChoices).toEqual([
      ...screenshotModes,
    ]);
    expect(optionOf(registerCi, ['ci', 'run'], '--browser').argChoices).toEqual([...browserNames]);
    const browserHelp = optionOf(registerRun, ['run'], '--browser').description;
    for (const name of browserNames) expect(browserHelp).toContain(name);
  });
});
