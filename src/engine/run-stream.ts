import type { Logger } from 'pino';
import { defined } from '../domain/defined.ts';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { StoredStreamEvent } from '../store/run-stream-events.ts';
import type { RunLogFeed } from './run-log-writer.ts';
import type { DoneState, LogData, ResultLine, SnapshotState } from './run-stream-entries.ts';

export type { ResultLine } from './run-stream-entries.ts';

/**
 * The state of a run at one moment: the run (with its counts), its newest results (oldest of
 * them first) and how many results it has. Bounded: a 10,000-test run's snapshot lists the last
 * few results, not all of them; the rest are a page away (`GET /runs/:runId/results`).
 */
export interface RunSnapshot {
  run: Run;
  results: ResultLine[];
  resultsTotal: number;
}

/** Results a snapshot lists at most. */
export const SNAPSHOT_RESULTS = 50;

export type StreamEvent =
  | { id: number; type: 'log'; data: LogData }
  | { id: number; type: 'result'; data: ResultLine & { at: string } }
  | { id: number; type: 'snapshot'; data: RunSnapshot }
  | { id: number; type: 'done'; data: { run: Run } };

export type StreamListener = (e: StreamEvent) => void;

export interface RunStreamOptions {
  store: Store;
  /** Tells when a run's log grew (run-log-writer.ts). */
  feed: RunLogFeed;
  /** Events replayed to a resuming client at most; further behind, it gets a snapshot. */
  maxEvents?: number;
  /** Results a snapshot lists at most (the newest). */
  snapshotResults?: number;
  /**
   * How often watched runs' logs are read besides the feed's notices: a NOTIFY lost while a
   * LISTEN connection was down must not stall a stream (0: never).
   */
  pollMs?: number;
  logger?: Logger;
}

/** What `attach` gives a new listener: the events it missed, or null when only a snapshot can tell. */
export interface Attachment {
  backlog: StreamEvent[] | null;
  /** The newest id in the log when attaching; a snapshot sent now carries it. */
  lastId: number;
  detach: () => void;
}

export function resultLineOf(r: ResultLine): ResultLine {
  const { testId, testName, status, attempt, durationMs, error } = r;
  return { testId, testName, status, attempt, durationMs, error };
}

interface Reader {
  /** Events up to this id were sent to it (or are in its backlog). */
  after: number;
  /** False until its backlog is read: live events wait until then. */
  ready: boolean;
}

/** A run some client of this process watches. */
interface Watch {
  runId: string;
  readers: Map<StreamListener, Reader>;
  /** The run as read from the store: snapshots lay their counts over it. */
  run: Run | null;
  /** The newest result lines up to the id `upTo`, for the next snapshots. */
  recent: { upTo: number; lines: ResultLine[] } | null;
  busy: boolean;
  again: boolean;
}

/** Rows read per query when catching readers up. */
const PAGE = 500;

/**
 * The numbered event log behind `GET /runs/:runId/events`, read from the database
 * (`run_stream_events`, written by the process that published each event: run-log-writer.ts).
 * Every process hands out the same ids, so a client that reconnects with `Last-Event-ID` to any
 * process, or to one restarted since, is sent exactly what it missed. This process holds state
 * only for runs a client watches here: the readers, the run, and the newest result lines.
 */
export class RunStream {
  readonly #o: Required<Omit<RunStreamOptions, 'logger'>> & { logger: Logger | undefined };
  readonly #watches = new Map<string, Watch>();
  #unsubscribe: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: RunStreamOptions) {
    this.#o = {
      maxEvents: 1000,
      snapshotResults: SNAPSHOT_RESULTS,
      pollMs: 2_000,
      ...opts,
      logger: opts.logger,
    };
  }

  start(): void {
    this.#unsubscribe ??= this.#o.feed.onAppended((runId) => {
      const w = this.#watches.get(runId);
      if (w) void this.#catchUp(w);
    });
    if (this.#o.pollMs > 0 && !this.#timer) {
      this.#timer = setInterval(() => {
        for (const w of this.#watches.values()) void this.#catchUp(w);
      }, this.#o.pollMs);
      this.#timer.unref();
    }
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#watches.clear();
  }

  /**
   * Start listening to a run. With `afterId`, the events after it are returned as backlog when
   * the log still holds them all (and not more than `maxEvents`); otherwise backlog is null and
   * the caller sends a snapshot. Events appended later go to `listener`, in order, once this
   * resolves.
   */
  async attach(
    runId: string,
    afterId: number | null,
    listener: StreamListener,
  ): Promise<Attachment> {
    const w = this.#watch(runId);
    const reader: Reader = { after: Number.MAX_SAFE_INTEGER, ready: false };
    w.readers.set(listener, reader);
    const detach = (): void => {
      w.readers.delete(listener);
      if (w.readers.size === 0 && this.#watches.get(runId) === w) this.#watches.delete(runId);
    };
    try {
      const log = this.#o.store.runStreamEvents;
      const lastId = await log.lastId(runId);
      let backlog: StreamEvent[] | null = null;
      let end = lastId;
      if (afterId !== null && afterId <= lastId) {
        const rows = await log.after(runId, afterId, this.#o.maxEvents + 1);
        // Whole from afterId on: nothing pruned, and not so far behind that a snapshot is better.
        const whole = afterId === lastId || rows[0]?.id === afterId + 1;
        if (whole && rows.length <= this.#o.maxEvents) {
          backlog = await this.#materialize(w, afterId, rows);
          end = rows.at(-1)?.id ?? afterId;
        }
      }
      reader.after = end;
      reader.ready = true;
      // Events written while the backlog was read.
      void this.#catchUp(w);
      return { backlog, lastId: end, detach };
    } catch (e) {
      detach();
      throw e;
    }
  }

  /** The run and its results as stored now, for a client that cannot be caught up from the log. */
  async snapshotFromStore(run: Run): Promise<RunSnapshot> {
    const { store, snapshotResults } = this.#o;
    const [fresh, latest] = await Promise.all([
      store.runs.get(run.projectId, run.id),
      store.results.latestByRun(run.id, run.projectId, snapshotResults),
    ]);
    return { run: fresh ?? run, results: latest.items, resultsTotal: latest.total };
  }

  /** Resolves once the events this process published for the run so far are in its log. */
  drain(runId: string): Promise<void> {
    return this.#o.feed.drain(runId);
  }

  /** Listeners of one run (for leak checks). */
  listenerCount(runId: string): number {
    return this.#watches.get(runId)?.readers.size ?? 0;
  }

  /** Result lines held in memory for one run (for leak checks). */
  retainedResults(runId: string): number {
    return this.#watches.get(runId)?.recent?.lines.length ?? 0;
  }

  /** Runs watched here. */
  get size(): number {
    return this.#watches.size;
  }

  #watch(runId: string): Watch {
    let w = this.#watches.get(runId);
    if (!w) {
      w = { runId, readers: new Map(), run: null, recent: null, busy: false, again: false };
      this.#watches.set(runId, w);
    }
    return w;
  }

  /** Read what the run's ready readers have not had yet and send it; one read at a time. */
  async #catchUp(w: Watch): Promise<void> {
    if (w.busy) {
      w.again = true;
      return;
    }
    w.busy = true;
    try {
      do {
        w.again = false;
        const ready = [...w.readers.values()].filter((r) => r.ready);
        if (ready.length === 0) break;
        const from = Math.min(...ready.map((r) => r.after));
        const rows = await this.#o.store.runStreamEvents.after(w.runId, from, PAGE);
        if (rows.length === 0) break;
        const events = await this.#materialize(w, from, rows);
        for (const [listener, r] of [...w.readers]) {
          if (!r.ready) continue;
          for (const e of events) {
            if (e.id <= r.after) continue;
            r.after = e.id;
            try {
              listener(e);
            } catch (err) {
              this.#o.logger?.error({ err }, 'run stream listener failed');
            }
          }
        }
        if (rows.length === PAGE) w.again = true;
      } while (w.again && this.#watches.get(w.runId) === w);
    } catch (err) {
      this.#o.logger?.error({ err, runId: w.runId }, 'reading the run event log failed');
    } finally {
      w.busy = false;
    }
  }

  /** Stored rows (ids after `from`, in order) as the events clients are sent. */
  async #materialize(w: Watch, from: number, rows: StoredStreamEvent[]): Promise<StreamEvent[]> {
    const n = this.#o.snapshotResults;
    // The result lines before `from`: kept from the last read when it ended there, else read
    // (only when a snapshot needs them).
    let lines: ResultLine[] | null = w.recent?.upTo === from ? [...w.recent.lines] : null;
    if (lines === null && rows.some((r) => r.type === 'snapshot')) {
      const before = await this.#o.store.runStreamEvents.resultsUpTo<ResultLine>(w.runId, from, n);
      lines = before.reverse().map((r) => resultLineOf(r.data));
    }
    const out: StreamEvent[] = [];
    for (const row of rows) {
      const { id } = row;
      switch (row.type) {
        case 'log':
          out.push({ id, type: 'log', data: row.data as LogData });
          break;
        case 'result': {
          const data = row.data as ResultLine & { at: string };
          lines?.push(resultLineOf(data));
          // Trim in chunks so a long run does not shift the array on every result.
          if (lines && lines.length > 2 * n + 64) lines.splice(0, lines.length - n);
          out.push({ id, type: 'result', data });
          break;
        }
        case 'snapshot': {
          const state = row.data as SnapshotState;
          const run = await this.#run(w, state.status !== 'queued');
          if (!run) break;
          const now: Run = { ...run, ...state.counts, status: state.status };
          now.startedAt ??= state.at;
          out.push({
            id,
            type: 'snapshot',
            data: { run: now, results: (lines ?? []).slice(-n), resultsTotal: row.results },
          });
          break;
        }
        case 'done': {
          // The run has its verdict stored by now: send it as stored.
          w.run = null;
          const run = await this.#run(w, true);
          const state = row.data as DoneState;
          if (run) out.push({ id, type: 'done', data: { run: doneRun(run, state) } });
          break;
        }
      }
    }
    const upTo = rows.at(-1)?.id ?? from;
    if (lines && (w.recent === null || upTo >= w.recent.upTo)) {
      w.recent = { upTo, lines: lines.slice(-n) };
    }
    return out;
  }

  /** The run as stored, read once per watch; again when `started` and it was read queued. */
  async #run(w: Watch, started: boolean): Promise<Run | null> {
    if (!w.run || (started && w.run.status === 'queued')) {
      w.run = (await this.#o.store.runs.get(null, w.runId)) ?? null;
    }
    return w.run;
  }
}

/** A run read just after its end may (on another process) not show the verdict the log does. */
function doneRun(run: Run, state: DoneState): Run {
  if (run.finishedAt !== null) return run;
  return { ...run, ...defined({ status: state.status }), finishedAt: state.at };
}
