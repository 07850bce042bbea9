import type { RepoContext } from './sql-helpers.ts';

/** A remembered Idempotency-Key: which request it first came with and which run it made. */
export interface IdempotencyRecord {
  projectId: string;
  key: string;
  /** SHA-256 of the canonical request. */
  requestHash: string;
  runId: string;
  createdAt: string;
  expiresAt: string;
}

export interface IdempotencyRepository {
  /** The live record of a key (expired ones are treated as absent). */
  find(projectId: string, key: string, now: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Remember a key. An expired record of the same key is replaced; a live one makes this throw a
   * unique violation, which tells a concurrent duplicate apart.
   */
  insert(rec: IdempotencyRecord, now: string): Promise<void>;
  /** Drop records past their expiry; returns how many. */
  purgeExpired(now: string): Promise<number>;
}

export function idempotencyRepository({ db }: RepoContext): IdempotencyRepository {
  return {
    async find(projectId, key, now) {
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return (
        row && {
          projectId: row.project_id,
          key: row.key,
          requestHash: row.request_hash,
          runId: row.run_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      );
    },

    async insert(rec, now) {
      await db
        .deleteFrom('idempotency_keys')
        .where('project_id', '=', rec.projectId)
        .where('key', '=', rec.key)
        .where('expires_at', '<=', now)
        .execute();
      await db
        .insertInto('idempotency_keys')
        .values({
          project_id: rec.projectId,
          key: rec.key,
          request_hash: rec.requestHash,
          run_id: rec.runId,
          created_at: rec.createdAt,
          expires_at: rec.expiresAt,
        })
        .execute();
    },

    async purgeExpired(now) {
      const r = await db
        .deleteFrom('idempotency_keys')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
