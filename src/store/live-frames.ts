import { sql } from 'kysely';
import type { RepoContext } from './sql-helpers.ts';

/** Which test attempt a live frame shows. */
export interface LiveFrameKey {
  runId: string;
  testId: string;
  attempt: number;
}

/** The latest frame of one watched test attempt, as another process reads it. */
export interface StoredLiveFrame extends LiveFrameKey {
  /** Frames written to the row so far (1 for the first). */
  seq: number;
  jpeg: Buffer;
  /** When the browser took it (ISO). */
  takenAt: string;
}

/**
 * The live-view frames a process hands to the API processes serving the watchers (issue 13):
 * one row per watched test attempt, holding only its latest JPEG.
 */
export interface LiveFrameRepository {
  /** Write the attempt's latest frame over the last one; returns the row's new `seq`. */
  put(key: LiveFrameKey, jpeg: Buffer, takenAt: string): Promise<number>;
  get(key: LiveFrameKey): Promise<StoredLiveFrame | null>;
  remove(key: LiveFrameKey): Promise<void>;
  /** Delete rows last written before `before` (ISO): a process that died left them. */
  sweep(before: string): Promise<number>;
}

export function liveFrameRepository({ db, now }: RepoContext): LiveFrameRepository {
  const byKey = (k: LiveFrameKey) =>
    db
      .selectFrom('live_frames')
      .where('run_id', '=', k.runId)
      .where('test_id', '=', k.testId)
      .where('attempt', '=', k.attempt);
  return {
    async put(key, jpeg, takenAt) {
      const at = now();
      const row = await db
        .insertInto('live_frames')
        .values({
          run_id: key.runId,
          test_id: key.testId,
          attempt: key.attempt,
          seq: 1,
          jpeg,
          taken_at: takenAt,
          updated_at: at,
        })
        .onConflict((oc) =>
          oc.columns(['run_id', 'test_id', 'attempt']).doUpdateSet({
            seq: sql<number>`live_frames.seq + 1`,
            jpeg,
            taken_at: takenAt,
            updated_at: at,
          }),
        )
        .returning('seq')
        .executeTakeFirstOrThrow();
      return Number(row.seq);
    },

    async get(key) {
      const row = await byKey(key).select(['seq', 'jpeg', 'taken_at']).executeTakeFirst();
      if (!row) return null;
      return { ...key, seq: Number(row.seq), jpeg: row.jpeg, takenAt: row.taken_at };
    },

    async remove(key) {
      await db
        .deleteFrom('live_frames')
        .where('run_id', '=', key.runId)
        .where('test_id', '=', key.testId)
        .where('attempt', '=', key.attempt)
        .execute();
    },

    async sweep(before) {
      const res = await db
        .deleteFrom('live_frames')
        .where('updated_at', '<', before)
        .executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}
