import { sql } from 'kysely';
import { chunksOf, fromJson, inTransaction, toJson, type RepoContext } from './sql-helpers.ts';

/** The kinds of event a run's live stream holds. */
export type StreamEventType = 'log' | 'result' | 'snapshot' | 'done';

/** An event to append; `data` is stored as JSON. */
export interface NewStreamEvent {
  type: StreamEventType;
  data: unknown;
}

/** An event as stored, with its id in the run's log. */
export interface StoredStreamEvent<T = unknown> {
  id: number;
  type: StreamEventType;
  data: T;
  /** The run's `result` events up to and including this one. */
  results: number;
}

/** Each run's live-stream event log (migration 056): appended by producers, read to resume. */
export interface RunStreamEventRepository {
  /**
   * Append events to the run's log in one transaction and return the id of the last one. Ids go
   * on from the run's head, whose row stays locked until the commit, so two processes appending
   * to one run get ids in the order their transactions commit. `finished` marks the log ended.
   */
  append(
    runId: string,
    projectId: string,
    events: readonly NewStreamEvent[],
    opts?: { finished?: boolean },
  ): Promise<number>;
  /** The run's events after `afterId`, oldest first, at most `limit`. */
  after<T>(runId: string, afterId: number, limit: number): Promise<StoredStreamEvent<T>[]>;
  /** The run's last `limit` `result` events with ids up to `upToId`, newest first. */
  resultsUpTo<T>(runId: string, upToId: number, limit: number): Promise<StoredStreamEvent<T>[]>;
  /** The id of the run's last event (0: none written yet, or its log was pruned). */
  lastId(runId: string): Promise<number>;
  /**
   * Delete the logs of runs that ended before `finishedBefore` (events and head: such a run
   * writes no more, so its ids cannot be handed out again), and the events of unfinished runs
   * not written since `idleBefore` (the head stays, so the run's ids keep rising). Returns how
   * many events went.
   */
  prune(finishedBefore: string, idleBefore: string): Promise<number>;
}

const RESULT: StreamEventType = 'result';

export function runStreamEventRepository({ db, now }: RepoContext): RunStreamEventRepository {
  return {
    async append(runId, projectId, events, opts = {}) {
      if (events.length === 0) throw new Error('nothing to append');
      const n = events.length;
      const k = events.filter((e) => e.type === RESULT).length;
      const at = now();
      const finishedAt = opts.finished ? at : null;
      return inTransaction(db, async (tx) => {
        const head = await tx
          .insertInto('run_stream_heads')
          .values({
            run_id: runId,
            project_id: projectId,
            last_id: n,
            results: k,
            updated_at: at,
            finished_at: finishedAt,
          })
          .onConflict((oc) =>
            oc.column('run_id').doUpdateSet({
              last_id: sql<number>`run_stream_heads.last_id + ${n}`,
              results: sql<number>`run_stream_heads.results + ${k}`,
              updated_at: at,
              ...(finishedAt ? { finished_at: finishedAt } : {}),
            }),
          )
          .returning(['last_id', 'results'])
          .executeTakeFirstOrThrow();
        const last = Number(head.last_id);
        let id = last - n;
        let results = Number(head.results) - k;
        const rows = events.map((e) => {
          if (e.type === RESULT) results++;
          return {
            run_id: runId,
            id: ++id,
            project_id: projectId,
            type: e.type,
            data: toJson(e.data),
            results,
          };
        });
        for (const chunk of chunksOf(rows)) {
          await tx.insertInto('run_stream_events').values(chunk).execute();
        }
        return last;
      });
    },

    async after<T>(runId: string, afterId: number, limit: number) {
      const rows = await db
        .selectFrom('run_stream_events')
        .select(['id', 'type', 'data', 'results'])
        .where('run_id', '=', runId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => toStored<T>(r));
    },

    async resultsUpTo<T>(runId: string, upToId: number, limit: number) {
      const rows = await db
        .selectFrom('run_stream_events')
        .select(['id', 'type', 'data', 'results'])
        .where('run_id', '=', runId)
        .where('id', '<=', upToId)
        .where('type', '=', RESULT)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => toStored<T>(r));
    },

    async lastId(runId) {
      const row = await db
        .selectFrom('run_stream_heads')
        .select('last_id')
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return row ? Number(row.last_id) : 0;
    },

    async prune(finishedBefore, idleBefore) {
      const ended = db
        .selectFrom('run_stream_heads')
        .select('run_id')
        .where('finished_at', '<', finishedBefore);
      const idle = db
        .selectFrom('run_stream_heads')
        .select('run_id')
        .where('finished_at', 'is', null)
        .where('updated_at', '<', idleBefore);
      return inTransaction(db, async (tx) => {
        const a = await tx
          .deleteFrom('run_stream_events')
          .where('run_id', 'in', ended)
          .executeTakeFirst();
        const b = await tx
          .deleteFrom('run_stream_events')
          .where('run_id', 'in', idle)
          .executeTakeFirst();
        await tx.deleteFrom('run_stream_heads').where('finished_at', '<', finishedBefore).execute();
        return Number(a.numDeletedRows) + Number(b.numDeletedRows);
      });
    },
  };
}

function toStored<T>(r: { id: number; type: string; data: string; results: number }) {
  return {
    id: Number(r.id),
    type: r.type as StreamEventType,
    // Written by append() from the engine's own values, never from outside input.
    data: fromJson<T>(r.data, 'run_stream_events.data'),
    results: Number(r.results),
  };
}
