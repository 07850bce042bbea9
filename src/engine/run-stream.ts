import type { Logger } from 'pino';
import { describeHealed } from '../domain/locator-memory.ts';
import { isTerminal, type ResultStatus, type Run } from '../domain/run.ts';
import type { EventBus, RunEvent } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';

/** Event names of the seed-001 run stream (`frame`, the screencast, is not produced). */

/** What a `result` event says about one test, and what a snapshot lists per result. */
export interface ResultLine {
  testId: string;
  testName: string;
  status: ResultStatus;
  attempt: number;
  durationMs: number;
  error: string | null;
}

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
  | {
      id: number;
      type: 'log';
      data: {
        message: string;
        at: string;
        testId?: string;
        testName?: string;
        started?: boolean;
        /** Set on lines of a phase before the tests (the crawl). */
        phase?: 'crawl';
      };
    }
  | { id: number; type: 'result'; data: ResultLine & { at: string } }
  | { id: number; type: 'snapshot'; data: RunSnapshot }
  | { id: number; type: 'done'; data: { run: Run } };

/** A snapshot keeps the prefix length of the run's result list, not a copy of it. */
type Stored =
  | Exclude<StreamEvent, { type: 'snapshot' }>
  | { id: number; type: 'snapshot'; run: Run; resultCount: number };

export type StreamListener = (e: StreamEvent) => void;

interface RunLog {
  /** Every id of this log is above it; chosen from the clock so ids keep rising after a restart. */
  base: number;
  lastId: number;
  events: Stored[];
  run: Run | null;
  /** The newest results, enough for every snapshot still in `events`; `results[0]` is number `resultsFrom`. */
  results: ResultLine[];
  resultsFrom: number;
  resultCount: number;
  seen: Set<string>;
  listeners: Set<StreamListener>;
  chain: Promise<void>;
  touchedAt: number;
  finished: boolean;
}

export interface RunStreamOptions {
  store: Store;
  events: EventBus;
  /** Events kept per run for resuming; older ones are answered by a snapshot. */
  maxEvents?: number;
  /** A run's log is dropped this long after its last event (when nobody listens). */
  retentionMs?: number;
  /** Logs kept at most; the least recently active unwatched ones go first. */
  maxRuns?: number;
  /** Results a snapshot lists at most (the newest). */
  snapshotResults?: number;
  clock?: () => Date;
  logger?: Logger;
}

/** What `attach` gives a new listener: the events it missed, or null when only a snapshot can tell. */
export interface Attachment {
  backlog: StreamEvent[] | null;
  /** The newest id in the log when attaching; a snapshot sent now carries it. */
  lastId: number;
  detach: () => void;
}

// The name tells the rows of a data test apart (`Sign in [admin]`): they share id and attempt.
const keyOf = (r: { testId: string; attempt: number; testName: string }): string =>
  `${r.testId}#${r.attempt}#${r.testName}`;

export function resultLineOf(r: ResultLine): ResultLine {
  const { testId, testName, status, attempt, durationMs, error } = r;
  return { testId, testName, status, attempt, durationMs, error };
}

/**
 * The numbered event log behind `GET /runs/:runId/events`. One log per run, built once from the
 * bus (not per client), so every client sees the same ids and a client that reconnects with
 * `Last-Event-ID` is sent exactly what it missed. Bounded: the last `maxEvents` events of runs
 * active within `retentionMs`; anything older is answered with a snapshot read from the store.
 */
export class RunStream {
  readonly #o: Required<Omit<RunStreamOptions, 'logger'>> & { logger: Logger | undefined };
  readonly #logs = new Map<string, RunLog>();
  #unsubscribe: (() => void) | null = null;

  constructor(opts: RunStreamOptions) {
    this.#o = {
      maxEvents: 1000,
      retentionMs: 60 * 60_000,
      maxRuns: 500,
      snapshotResults: SNAPSHOT_RESULTS,
      clock: () => new Date(),
      ...opts,
      logger: opts.logger,
    };
  }

  start(): void {
    this.#unsubscribe ??= this.#o.events.subscribe('*', (e) => this.#onBusEvent(e));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const log of this.#logs.values()) log.listeners.clear();
    this.#logs.clear();
  }

  /**
   * Start listening to a run. With `afterId`, the events after it are returned as backlog when
   * the log still holds them all; otherwise backlog is null and the caller sends a snapshot.
   * Events appended from now on go to `listener`, in order.
   */
  attach(runId: string, afterId: number | null, listener: StreamListener): Attachment {
    const log = this.#log(runId);
    log.listeners.add(listener);
    const detach = (): void => {
      log.listeners.delete(listener);
    };
    const oldest = log.events[0]?.id ?? log.lastId + 1;
    let backlog: StreamEvent[] | null = null;
    if (afterId !== null && afterId >= oldest - 1 && afterId <= log.lastId) {
      backlog = log.events.filter((e) => e.id > afterId).map((e) => this.#materialize(log, e));
    }
    return { backlog, lastId: log.lastId, detach };
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

  /** Resolves once every bus event of the run seen so far is in its log. */
  async drain(runId: string): Promise<void> {
    await this.#logs.get(runId)?.chain;
  }

  /** Listeners of one run's log (for leak checks). */
  listenerCount(runId: string): number {
    return this.#logs.get(runId)?.listeners.size ?? 0;
  }

  /** Result lines one run's log holds in memory (for leak checks). */
  retainedResults(runId: string): number {
    return this.#logs.get(runId)?.results.length ?? 0;
  }

  /** Runs with a log in memory. */
  get size(): number {
    return this.#logs.size;
  }

  #log(runId: string): RunLog {
    let log = this.#logs.get(runId);
    if (!log) {
      this.#sweep();
      const now = this.#o.clock().getTime();
      // Ids are <ms at creation>·1000 + n: numbers a client can compare, and a log rebuilt after a
      // restart starts above every id the previous process handed out for the run.
      const base = now * 1000;
      log = {
        base,
        lastId: base,
        events: [],
        run: null,
        results: [],
        resultsFrom: 0,
        resultCount: 0,
        seen: new Set(),
        listeners: new Set(),
        chain: Promise.resolve(),
        touchedAt: now,
        finished: false,
      };
      this.#logs.set(runId, log);
    }
    return log;
  }

  /** Drop logs nobody watches that are idle past retention, then the oldest over maxRuns. */
  #sweep(): void {
    const now = this.#o.clock().getTime();
    const idle = [...this.#logs.entries()].filter(([, l]) => l.listeners.size === 0);
    for (const [id, l] of idle) {
      if (now - l.touchedAt > this.#o.retentionMs) this.#logs.delete(id);
    }
    if (this.#logs.size < this.#o.maxRuns) return;
    const victims = idle
      .filter(([id]) => this.#logs.has(id))
      .sort(
        (a, b) => Number(b[1].finished) - Number(a[1].finished) || a[1].touchedAt - b[1].touchedAt,
      );
    for (const [id] of victims.slice(0, this.#logs.size - this.#o.maxRuns + 1)) {
      this.#logs.delete(id);
    }
  }

  #onBusEvent(e: RunEvent): void {
    const log = this.#log(e.runId);
    // One chain per run: loading the run from the store must not reorder its events.
    log.chain = log.chain
      .then(() => this.#apply(log, e))
      .catch((err: unknown) => this.#o.logger?.error({ err, runId: e.runId }, 'run stream failed'));
  }

  async #apply(log: RunLog, e: RunEvent): Promise<void> {
    if (!log.run) await this.#load(log, e);
    const run = log.run;
    if (!run) return;
    log.touchedAt = this.#o.clock().getTime();
    if (e.counts) Object.assign(run, e.counts);
    switch (e.type) {
      case 'run.queued':
        this.#append(log, {
          type: 'log',
          data: { message: `queued ${run.total} tests`, at: e.at },
        });
        return;
      case 'run.started':
        run.status = 'running';
        run.startedAt ??= e.at;
        this.#append(log, { type: 'log', data: { message: 'run started', at: e.at } });
        return;
      case 'run.phase':
        this.#append(log, {
          type: 'log',
          data: { message: e.message ?? '', at: e.at, ...(e.phase ? { phase: e.phase } : {}) },
        });
        return;
      case 'test.started': {
        const attempt = e.attempt && e.attempt > 1 ? ` (attempt ${e.attempt})` : '';
        const message = `started ${e.testName ?? e.testId}${attempt}`;
        const data = { message, at: e.at, testId: e.testId, testName: e.testName, started: true };
        this.#append(log, { type: 'log', data });
        return;
      }
      case 'test.healed': {
        const what = (e.healed ?? []).map(describeHealed).join('; ');
        const message = `healed ${e.testName ?? e.testId}: ${what}`;
        this.#append(log, { type: 'log', data: { message, at: e.at, testId: e.testId } });
        return;
      }
      case 'test.finished':
        this.#onResult(log, run, e);
        return;
      case 'run.finished':
        run.status = (e.status as Run['status'] | undefined) ?? run.status;
        run.error = e.error ?? null;
        run.finishedAt = e.at;
        log.finished = true;
        this.#append(log, {
          type: 'log',
          data: { message: `run ${run.status}${run.error ? `: ${run.error}` : ''}`, at: e.at },
        });
        this.#append(log, { type: 'done', data: { run: { ...run } } });
        return;
    }
  }

  #onResult(log: RunLog, run: Run, e: RunEvent): void {
    const line: ResultLine = {
      testId: e.testId ?? '',
      testName: e.testName ?? e.testId ?? '',
      status: (e.status as ResultStatus | undefined) ?? 'error',
      attempt: e.attempt ?? 1,
      durationMs: e.durationMs ?? 0,
      error: e.error ?? null,
    };
    if (log.seen.has(keyOf(line))) return;
    if (line.status === 'failed' || line.status === 'error') {
      const message = `${line.status} ${line.testName}${line.error ? `: ${line.error}` : ''}`;
      this.#append(log, { type: 'log', data: { message, at: e.at, testId: line.testId } });
    }
    log.seen.add(keyOf(line));
    log.results.push(line);
    log.resultCount++;
    this.#append(log, { type: 'result', data: { ...line, at: e.at } });
    this.#append(log, { type: 'snapshot', run: { ...run }, resultCount: log.resultCount });
    this.#trimResults(log);
  }

  /** Keep only the results the snapshots still in the log list, in chunks. */
  #trimResults(log: RunLog): void {
    const oldest = log.events.find((e) => e.type === 'snapshot');
    const firstNeeded =
      (oldest?.type === 'snapshot' ? oldest.resultCount : log.resultCount) -
      this.#o.snapshotResults;
    const drop = firstNeeded - log.resultsFrom;
    if (drop < 64) return;
    log.results.splice(0, drop);
    log.resultsFrom += drop;
  }

  /** First event of a run in this process: its stored state, with the results already written. */
  async #load(log: RunLog, e: RunEvent): Promise<void> {
    const { store } = this.#o;
    const run = await store.runs.get(e.projectId, e.runId);
    if (!run) return;
    // The newest results are enough: a snapshot lists no more, and only results finished just
    // before this event can still come in as bus events to be told apart from stored ones.
    const latest = await store.results.latestByRun(run.id, run.projectId, this.#o.snapshotResults);
    log.run = run;
    log.resultsFrom = latest.total - latest.items.length;
    log.resultCount = log.resultsFrom;
    for (const r of latest.items) {
      // The result this event announces is already stored: leave it for #onResult to add.
      if (
        e.type === 'test.finished' &&
        r.testId === e.testId &&
        r.attempt === e.attempt &&
        r.testName === e.testName
      ) {
        continue;
      }
      log.seen.add(keyOf(r));
      log.results.push(resultLineOf(r));
      log.resultCount++;
    }
    if (isTerminal(run.status) && e.type !== 'run.finished') log.finished = true;
  }

  #append(log: RunLog, e: DistributiveOmit<Stored, 'id'>): void {
    const stored = { ...e, id: ++log.lastId } as Stored;
    log.events.push(stored);
    // Trim in chunks so a long run does not shift the array on every event.
    if (log.events.length > this.#o.maxEvents + 64) {
      log.events.splice(0, log.events.length - this.#o.maxEvents);
    }
    if (log.listeners.size === 0) return;
    const out = this.#materialize(log, stored);
    for (const l of [...log.listeners]) {
      try {
        l(out);
      } catch (err) {
        this.#o.logger?.error({ err }, 'run stream listener failed');
      }
    }
  }

  #materialize(log: RunLog, e: Stored): StreamEvent {
    if (e.type !== 'snapshot') return e;
    const end = e.resultCount - log.resultsFrom;
    const start = Math.max(0, end - this.#o.snapshotResults);
    return {
      id: e.id,
      type: 'snapshot',
      data: { run: e.run, results: log.results.slice(start, end), resultsTotal: e.resultCount },
    };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
