import type { Logger } from 'pino';
import type { Store } from '../store/connect.ts';
import type { LiveFrameKey } from '../store/live-frames.ts';
import {
  decodeLiveMessage,
  LIVE_RENEW_MS,
  sendLive,
  type LiveChannel,
  type LiveMessage,
} from './live-messages.ts';
import type { LiveFrame, LiveWatching } from './live-view.ts';

export interface LiveFeedDeps {
  store: Store;
  channel: LiveChannel;
  /** This process's id (`process_leases.id`), in every notice it sends. */
  origin: string;
  logger?: Logger;
}

interface Watcher {
  testId: string | null;
  send: (frame: LiveFrame) => void;
}

/** What is known of one row another process writes: the frame handed on last, a read in flight. */
interface RowRead {
  lastSeq: number;
  reading: boolean;
  /** A notice came during the read: read once more after it. */
  again: boolean;
}

/**
 * The API side of the live view across processes: frames of tests that other processes run,
 * for this process's watchers. While a run has watchers here, that is announced on the `live`
 * channel (at once, and again every `LIVE_RENEW_MS`); a process running a test of the run then
 * writes its frames to `live_frames` and announces each one (live-publisher.ts). On a notice
 * this reads the row (one read per row at a time; the newest frame wins) and hands the frame to
 * the run's watchers as `LiveView` hands its own. When the last watcher of a run leaves, an
 * `unwatch` stops the screencasts at once.
 */
export class LiveFeed implements LiveWatching {
  readonly #d: LiveFeedDeps;
  readonly #watchers = new Map<string, Set<Watcher>>();
  /** Interest last announced per run (`*` or sorted test ids), to say only what changed. */
  readonly #announced = new Map<string, string>();
  readonly #reads = new Map<string, RowRead>();
  #renew: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(d: LiveFeedDeps) {
    this.#d = d;
  }

  start(): void {
    this.#d.channel.onMessage((text) => {
      if (this.#stopped) return;
      const m = decodeLiveMessage(text);
      if (m?.k === 'frame' && m.o !== this.#d.origin) this.#notice(m);
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#renew) clearInterval(this.#renew);
    this.#renew = null;
    for (const runId of this.#watchers.keys()) {
      sendLive(this.#d.channel, { k: 'unwatch', o: this.#d.origin, r: runId });
    }
    this.#watchers.clear();
    this.#announced.clear();
  }

  watch(runId: string, testId: string | null, send: (frame: LiveFrame) => void): () => void {
    const watcher: Watcher = { testId, send };
    let set = this.#watchers.get(runId);
    if (!set) this.#watchers.set(runId, (set = new Set()));
    set.add(watcher);
    this.#announce(runId, false);
    this.#renew ??= setInterval(() => {
      for (const r of this.#watchers.keys()) this.#announce(r, true);
    }, LIVE_RENEW_MS);
    this.#renew.unref();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      set.delete(watcher);
      if (set.size > 0) return this.#announce(runId, false);
      this.#watchers.delete(runId);
      this.#announced.delete(runId);
      for (const id of this.#reads.keys()) if (id.startsWith(`${runId}\n`)) this.#reads.delete(id);
      if (!this.#stopped) sendLive(this.#d.channel, { k: 'unwatch', o: this.#d.origin, r: runId });
      if (this.#watchers.size === 0 && this.#renew) {
        clearInterval(this.#renew);
        this.#renew = null;
      }
    };
  }

  /** Say what this process watches of the run: when it changed, or always (a renewal). */
  #announce(runId: string, always: boolean): void {
    if (this.#stopped) return;
    const watchers = this.#watchers.get(runId);
    if (!watchers) return;
    let tests: string[] | null = [];
    for (const w of watchers) {
      if (w.testId === null) {
        tests = null;
        break;
      }
      if (!tests.includes(w.testId)) tests.push(w.testId);
    }
    tests?.sort();
    const summary = tests === null ? '*' : tests.join('\n');
    if (!always && this.#announced.get(runId) === summary) return;
    this.#announced.set(runId, summary);
    const m: LiveMessage = { k: 'watch', o: this.#d.origin, r: runId, t: tests };
    // Very many watched tests of one run do not fit a notice: then every test is cast.
    const fits = Buffer.byteLength(JSON.stringify(m)) <= this.#d.channel.maxBytes;
    sendLive(this.#d.channel, fits ? m : { ...m, t: null });
  }

  #notice(m: Extract<LiveMessage, { k: 'frame' }>): void {
    const watchers = this.#watchers.get(m.r);
    if (!watchers || ![...watchers].some((w) => w.testId === null || w.testId === m.t)) return;
    const key = { runId: m.r, testId: m.t, attempt: m.a };
    const id = `${m.r}\n${m.t}\n${m.a}`;
    let read = this.#reads.get(id);
    if (!read) this.#reads.set(id, (read = { lastSeq: 0, reading: false, again: false }));
    if (read.lastSeq === m.s) return;
    if (read.reading) {
      read.again = true;
      return;
    }
    void this.#read(read, key);
  }

  async #read(read: RowRead, key: LiveFrameKey): Promise<void> {
    read.reading = true;
    try {
      do {
        read.again = false;
        const row = await this.#d.store.liveFrames.get(key).catch((err: unknown) => {
          this.#d.logger?.warn({ err, runId: key.runId }, 'could not read a live frame');
          return null;
        });
        // A row recreated (a new watch) starts its count again, so any other number is news.
        if (!row || row.seq === read.lastSeq) continue;
        read.lastSeq = row.seq;
        const frame: LiveFrame = {
          testId: key.testId,
          attempt: key.attempt,
          mime: 'image/jpeg',
          data: row.jpeg.toString('base64'),
          at: row.takenAt,
        };
        for (const w of this.#watchers.get(key.runId) ?? []) {
          if (w.testId === null || w.testId === key.testId) w.send(frame);
        }
      } while (read.again && !this.#stopped);
    } finally {
      read.reading = false;
    }
  }
}

/** Watch both this process's own tests (`local`) and other processes' (`feed`). */
export function watchEverywhere(local: LiveWatching, feed: LiveWatching): LiveWatching {
  return {
    watch(runId, testId, send) {
      const stops = [local.watch(runId, testId, send), feed.watch(runId, testId, send)];
      return () => stops.forEach((stop) => stop());
    },
  };
}
