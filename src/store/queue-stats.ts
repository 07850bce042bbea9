import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import { toNumber } from './sql-helpers.ts';

/** What /metrics reports about the job queue, read from the jobs table (any process's jobs). */
export interface QueueStats {
  queued: number;
  running: number;
  /** Age in seconds of the oldest job waiting to be claimed (0 when none is due). */
  oldestQueuedSeconds: number;
}

/** Count queued and running jobs and the age of the oldest due one, in one read. */
export async function readQueueStats(db: Kysely<Database>, now: Date): Promise<QueueStats> {
  const at = now.toISOString();
  const row = await db
    .selectFrom('jobs')
    .select([
      sql<number>`sum(case when status = 'queued' then 1 else 0 end)`.as('queued'),
      sql<number>`sum(case when status = 'running' then 1 else 0 end)`.as('running'),
      sql<
        string | null
      >`min(case when status = 'queued' and run_after <= ${at} then run_after end)`.as('oldest'),
    ])
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  const oldest = row?.oldest ? Date.parse(row.oldest) : NaN;
  return {
    queued: toNumber(row?.queued ?? 0),
    running: toNumber(row?.running ?? 0),
    oldestQueuedSeconds: Number.isNaN(oldest) ? 0 : Math.max(0, (now.getTime() - oldest) / 1000),
  };
}
