import type { Logger } from 'pino';
import type { Store } from '../store/connect.ts';
import type { LiveFrameKey } from '../store/live-frames.ts';
import {
  decodeLiveMessage,
  LIVE_INTEREST_TTL_MS,
  sendLive,
  type LiveChannel,
  type LiveMessage,
} from './live-messages.ts';
import type { LiveFrame, LiveView } from './live-view.ts';

export interface LivePublisherDeps {
  live: LiveView;
  store: Store;
  channel: LiveChannel;
  /** This process's id (`process_leases.id`): its own notices are not for it. */
  origin: string;
  logger?: Logger;
  /** Time per write of one test's frame, on average (default 250 ms: at most 4 a second). */
  minFrameIntervalMs?: number;
  clock?: () => number;
}

/** A row older than this was left by a process that died (a watched page writes every 250 ms). */
const STALE_ROW_MS = 60_000;
const TICK_MS = 1_000;

/** The rows of one watched test attempt this process writes: the latest frame, one write at a time. */
interface RowWriter {
  key: LiveFrameKey;
  latest: LiveFrame | null;
  /** The write (or delete) in flight; writes of one row never overlap. */
  busy: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /**
   * The rate cap's schedule (GCRA): when the next write would be due at the steady rate. A write
   * may come up to one interval early, so the screencast's own jitter (it paces itself at the
   * same rate) adds no delay, while writes still average at most one per interval.
   */
  nextAt: number;
  written: boolean;
}

/**
 * The worker side of the live view across processes. API processes with watchers say so on the
 * `live` channel (live-feed.ts); while any does, this process watches that run in its own
 * `LiveView` exactly as a local SSE client would, so its pages of the run are screencast by the
 * same code. Each frame is written over the attempt's row in `live_frames` (one write per
 * `minFrameIntervalMs` on average; the latest frame wins when the database is slower) and announced with
 * its sequence number. When the interest ends (an `unwatch`, or no renewal within
 * `LIVE_INTEREST_TTL_MS`) the watcher goes and the screencast stops; a row goes when its page
 * closes or the interest ends, and rows of a process that died are swept after a minute.
 */
export class LivePublisher {
  readonly #d: LivePublisherDeps;
  readonly #clock: () => number;
  readonly #minInterval: number;
  /** run → interested process → its tests (null: all) and until when it holds. */
  readonly #interest = new Map<string, Map<string, { tests: Set<string> | null; until: number }>>();
  /** run → `*` or a test id → the LiveView watcher's stop. */
  readonly #watching = new Map<string, Map<string, () => void>>();
  readonly #rows = new Map<string, RowWriter>();
  /** Rows being deleted, so `stop` can wait for them before the store closes. */
  readonly #dropping = new Set<Promise<void>>();
  #tick: NodeJS.Timeout | null = null;
  #lastSweep = 0;
  #unlistenPages: (() => void) | null = null;
  #stopped = false;

  constructor(d: LivePublisherDeps) {
    this.#d = d;
    this.#clock = d.clock ?? Date.now;
    this.#minInterval = d.minFrameIntervalMs ?? 250;
  }

  start(): void {
    this.#d.channel.onMessage((text) => {
      if (this.#stopped) return;
      const m = decodeLiveMessage(text);
      if (m && m.o !== this.#d.origin) this.#heard(m);
    });
    this.#unlistenPages = this.#d.live.onPageClosed((key) => this.#drop(rowId(key)));
    this.#tick = setInterval(() => this.#expire(), TICK_MS);
    this.#tick.unref();
  }

  /** Stop every screencast started for other processes and delete this process's rows. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#tick) clearInterval(this.#tick);
    this.#unlistenPages?.();
    this.#interest.clear();
    for (const runId of [...this.#watching.keys()]) this.#reconcile(runId);
    for (const id of [...this.#rows.keys()]) void this.#drop(id);
    await Promise.all(this.#dropping);
  }

  #heard(m: LiveMessage): void {
    if (m.k === 'frame') return;
    let byOrigin = this.#interest.get(m.r);
    if (m.k === 'watch') {
      if (!byOrigin) this.#interest.set(m.r, (byOrigin = new Map()));
      const tests = m.t === null ? null : new Set(m.t);
      byOrigin.set(m.o, { tests, until: this.#clock() + LIVE_INTEREST_TTL_MS });
    } else {
      byOrigin?.delete(m.o);
      if (byOrigin?.size === 0) this.#interest.delete(m.r);
    }
    this.#reconcile(m.r);
  }

  #expire(): void {
    const now = this.#clock();
    for (const [runId, byOrigin] of this.#interest) {
      let changed = false;
      for (const [origin, i] of byOrigin) {
        if (i.until <= now) changed = byOrigin.delete(origin);
      }
      if (byOrigin.size === 0) this.#interest.delete(runId);
      if (changed) this.#reconcile(runId);
    }
    if (now - this.#lastSweep >= STALE_ROW_MS) {
      this.#lastSweep = now;
      this.#d.store.liveFrames
        .sweep(new Date(now - STALE_ROW_MS).toISOString())
        .catch((err: unknown) => this.#d.logger?.warn({ err }, 'live frames sweep failed'));
    }
  }

  /** Watch in the LiveView what some process wants of the run, and nothing else. */
  #reconcile(runId: string): void {
    const wanted = new Set<string>();
    for (const { tests } of this.#interest.get(runId)?.values() ?? []) {
      if (tests === null) {
        // One watcher of the whole run: a second of a test would deliver its frames twice.
        wanted.clear();
        wanted.add('*');
        break;
      }
      for (const t of tests) wanted.add(t);
    }
    let watching = this.#watching.get(runId);
    for (const [key, unwatch] of watching ?? []) {
      if (wanted.has(key)) continue;
      unwatch();
      watching?.delete(key);
    }
    for (const key of wanted) {
      if (!watching) this.#watching.set(runId, (watching = new Map()));
      if (watching.has(key)) continue;
      const testId = key === '*' ? null : key;
      watching.set(
        key,
        this.#d.live.watch(runId, testId, (f) => this.#frame(runId, f)),
      );
    }
    if (watching?.size === 0) this.#watching.delete(runId);
    // Rows of tests nobody watches now go, so the table holds only what is watched.
    for (const [id, row] of this.#rows) {
      if (row.key.runId !== runId || wanted.has('*') || wanted.has(row.key.testId)) continue;
      void this.#drop(id);
    }
  }

  #frame(runId: string, f: LiveFrame): void {
    const key = { runId, testId: f.testId, attempt: f.attempt };
    const id = rowId(key);
    let row = this.#rows.get(id);
    if (!row) {
      row = { key, latest: null, busy: null, timer: null, nextAt: 0, written: false };
      this.#rows.set(id, row);
    }
    row.latest = f;
    this.#schedule(row);
  }

  #schedule(row: RowWriter): void {
    if (row.busy || row.timer || !row.latest) return;
    const now = this.#clock();
    const wait = row.nextAt - this.#minInterval - now;
    if (wait > 0) {
      row.timer = setTimeout(() => {
        row.timer = null;
        this.#schedule(row);
      }, wait);
      return;
    }
    const frame = row.latest;
    row.latest = null;
    row.nextAt = Math.max(row.nextAt, now) + this.#minInterval;
    row.busy = this.#write(row, frame).finally(() => {
      row.busy = null;
      this.#schedule(row);
    });
  }

  async #write(row: RowWriter, f: LiveFrame): Promise<void> {
    try {
      const seq = await this.#d.store.liveFrames.put(row.key, Buffer.from(f.data, 'base64'), f.at);
      row.written = true;
      const { runId: r, testId: t, attempt: a } = row.key;
      sendLive(this.#d.channel, { k: 'frame', o: this.#d.origin, r, t, a, s: seq });
    } catch (err) {
      // A watcher misses a frame; the next one is a few hundred ms away.
      this.#d.logger?.warn({ err, runId: row.key.runId }, 'could not write a live frame');
    }
  }

  /** The page closed or nobody watches: no more writes, and the row goes once the last is done. */
  #drop(id: string): Promise<void> {
    const row = this.#rows.get(id);
    if (!row) return Promise.resolve();
    this.#rows.delete(id);
    row.latest = null;
    if (row.timer) clearTimeout(row.timer);
    row.timer = null;
    const dropping = this.#remove(row).finally(() => this.#dropping.delete(dropping));
    this.#dropping.add(dropping);
    return dropping;
  }

  async #remove(row: RowWriter): Promise<void> {
    await row.busy;
    if (!row.written) return;
    await this.#d.store.liveFrames
      .remove(row.key)
      .catch((err: unknown) =>
        this.#d.logger?.warn({ err, runId: row.key.runId }, 'could not delete a live frame'),
      );
  }
}

function rowId(k: LiveFrameKey): string {
  return `${k.runId}\n${k.testId}\n${k.attempt}`;
}
