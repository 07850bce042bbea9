import { intFlag } from '../parse-flag.ts';
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { planRunShards, shardCountSchema } from '../../engine/shard-plan.ts';
import { rangeOf } from '../../domain/option-text.ts';
import { plural } from '../plural.ts';
import { openStore } from '../../store/connect.ts';
import { storeOptions } from '../../store/secret-key.ts';
import { addTagFlags, tagsOfFlags, type TagFlags } from '../tag-flags.ts';
import { addSelectionFlags, strategyOfFlags, type SelectionFlags } from '../selection-flags.ts';

interface PlanFlags extends SelectionFlags, TagFlags {
  shards: number;
  suite?: string[];
  test?: string[];
  json?: boolean;
}

const parseShards = intFlag('--shards', shardCountSchema);

/** `greenlight plan <project> --shards N`: balanced shards for workers on several machines. */
export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description(
      'split the approved tests into N shards of about equal expected time (median of past ' +
        'durations); each machine then runs `greenlight run <project> --test <ids of its shard>`',
    )
    .argument('<project>', 'project slug or id')
    .requiredOption('--shards <n>', `number of shards (${rangeOf(shardCountSchema)})`, parseShards)
    .option('--suite <name...>', 'only tests of these suites')
    .option('--test <id...>', 'only these test ids')
    .option('--json', 'print the plan as JSON');
  addSelectionFlags(addTagFlags(cmd)).action(async (projectRef: string, o: PlanFlags) => {
    const store = await openStore(storeOptions(loadConfig()));
    try {
      const project = await store.projects.get(projectRef);
      if (!project) throw new AppError('not_found', `project "${projectRef}" not found`);
      const plan = await planRunShards(store, project.id, {
        selection: { suites: o.suite, tags: tagsOfFlags(o), testIds: o.test },
        strategy: strategyOfFlags(o),
        shards: o.shards,
        now: new Date(),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      for (const s of plan.shards) {
        const secs = (s.estimatedMs / 1000).toFixed(1);
        process.stdout.write(`shard ${s.index} (~${secs} s): ${s.testIds.join(' ')}\n`);
      }
      const unknown = plan.unknown.length;
      process.stdout.write(
        `total ~${(plan.totalMs / 1000).toFixed(1)} s` +
          (unknown > 0
            ? `; ${plural(unknown, 'test')} without history estimated as the median\n`
            : '\n'),
      );
    } finally {
      await store.close();
    }
  });
}
