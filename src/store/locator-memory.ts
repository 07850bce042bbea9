import type { Selectable } from 'kysely';
import {
  healStrategies,
  type HealStrategy,
  type LocatorAlternative,
  type LocatorMemory,
} from '../domain/locator-memory.ts';
import type { LocatorMemoryTable } from './database.ts';
import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

/** Self-healing memory: per test, step and locator, the other ways to find its element. */
export interface LocatorMemoryRepository {
  /** Everything remembered for one test of the project, by step. */
  forTest(projectId: string, testId: string): Promise<LocatorMemory[]>;
  /** Insert or replace the given entries (one row per step and locator); others stay. */
  save(projectId: string, testId: string, entries: readonly LocatorMemory[]): Promise<void>;
  /** Forget a test's memory (e.g. after its steps were rewritten); returns rows removed. */
  clear(projectId: string, testId: string): Promise<number>;
}

const isStrategy = (s: string | null): s is HealStrategy =>
  s !== null && (healStrategies as readonly string[]).includes(s);

function toMemory(r: Selectable<LocatorMemoryTable>): LocatorMemory {
  return {
    step: r.step,
    locatorHash: r.locator_hash,
    alternatives: fromJson<LocatorAlternative[]>(r.alternatives, 'locator_memory.alternatives'),
    winningStrategy: isStrategy(r.winning_strategy) ? r.winning_strategy : null,
    recordedAt: r.updated_at,
  };
}

export function locatorMemoryRepository({ db, now }: RepoContext): LocatorMemoryRepository {
  return {
    async forTest(projectId, testId) {
      const rows = await db
        .selectFrom('locator_memory')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('test_id', '=', testId)
        .orderBy('step')
        .orderBy('locator_hash')
        .execute();
      return rows.map(toMemory);
    },

    async save(projectId, testId, entries) {
      const at = now();
      for (const m of entries) {
        const values = {
          alternatives: toJson(m.alternatives),
          winning_strategy: m.winningStrategy,
          updated_at: at,
        };
        await db
          .insertInto('locator_memory')
          .values({
            project_id: projectId,
            test_id: testId,
            step: m.step,
            locator_hash: m.locatorHash,
            ...values,
          })
          .onConflict((oc) =>
            oc
              .columns(['test_id', 'step', 'locator_hash'])
              .doUpdateSet(values)
              // A test id of another project never takes over this row.
              .where('locator_memory.project_id', '=', projectId),
          )
          .execute();
      }
    },

    async clear(projectId, testId) {
      const r = await db
        .deleteFrom('locator_memory')
        .where('project_id', '=', projectId)
        .where('test_id', '=', testId)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
