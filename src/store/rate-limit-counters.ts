import { sql } from 'kysely';
import type { SecretBox } from './secret-box.ts';
import type { RepoContext } from './sql-helpers.ts';

/** Fixed-window request counters shared by every process on the database. */
export interface RateLimitCounterRepository {
  /**
   * Count `by` requests of `key` in the window starting at `windowStart` (epoch ms) and return
   * the window's count so far, these included: one atomic upsert, so two processes never both
   * read the same count. The key is stored as a keyed digest, never as given (it holds client
   * addresses and credential ids).
   */
  hit(key: string, windowStart: number, expiresAt: number, by?: number): Promise<number>;
  /** Delete the windows that were over before `at` (epoch ms); returns how many went. */
  purge(at: number): Promise<number>;
}

export function rateLimitCounterRepository(
  { db }: RepoContext,
  box: SecretBox,
): RateLimitCounterRepository {
  return {
    async hit(key, windowStart, expiresAt, by = 1) {
      const row = await db
        .insertInto('rate_limit_counters')
        .values({
          key: box.digest(key),
          window_start: windowStart,
          count: by,
          expires_at: expiresAt,
        })
        .onConflict((oc) =>
          oc
            .columns(['key', 'window_start'])
            .doUpdateSet({ count: sql<number>`rate_limit_counters.count + ${by}` }),
        )
        .returning('count')
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async purge(at) {
      const res = await db
        .deleteFrom('rate_limit_counters')
        .where('expires_at', '<', at)
        .executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}
