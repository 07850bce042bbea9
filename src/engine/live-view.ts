import type { ScreencastFrame, StopScreencast } from '../browser/screencast.ts';

/** Which test attempt a page belongs to. */
export interface LivePageKey {
  runId: string;
  testId: string;
  attempt: number;
}

/** One frame as watchers get it (the SSE `frame` event's data). */
export interface LiveFrame {
  testId: string;
  attempt: number;
  mime: 'image/jpeg';
  /** Base64 JPEG. */
  data: string;
  at: string;
}

/** Starts a screencast of one page, sending its frames to `onFrame`. */
export type StartCast = (onFrame: (frame: ScreencastFrame) => void) => Promise<StopScreencast>;

/** What a live-view watcher needs: the route's view of `LiveView` and of `LiveFeed` (live-feed.ts). */
export interface LiveWatching {
  /** Watch a run (or one test of it); returns the function that stops watching. */
  watch(runId: string, testId: string | null, send: (frame: LiveFrame) => void): () => void;
}

interface Watcher {
  testId: string | null;
  send: (frame: LiveFrame) => void;
}

interface LivePage {
  key: LivePageKey;
  start: StartCast;
  /** The screencast being started or running; resolves to null when it could not start. */
  cast: Promise<StopScreencast | null> | null;
  closed: boolean;
}

/**
 * Live view of running tests: pages of running tests register here, watchers (SSE clients) of a
 * run register here, and a page is screencast only while at least one watcher wants it. Frames
 * pass straight through and are never stored. Holds only what this process runs.
 */
export class LiveView implements LiveWatching {
  readonly #closedListeners = new Set<(key: LivePageKey) => void>();
  readonly #watchers = new Map<string, Set<Watcher>>();
  readonly #pages = new Map<string, Set<LivePage>>();
  #active = 0;
  #started = 0;

  /** Screencasts running now, in all runs. */
  get activeScreencasts(): number {
    return this.#active;
  }

  /** Screencasts started since this view was created (tests check that none start unwatched). */
  get startedScreencasts(): number {
    return this.#started;
  }

  /** Pages of running tests of the run that are registered now. */
  pageCount(runId: string): number {
    return this.#pages.get(runId)?.size ?? 0;
  }

  watcherCount(runId: string): number {
    return this.#watchers.get(runId)?.size ?? 0;
  }

  /** Watch a run (or one test of it); returns the function that stops watching. */
  watch(runId: string, testId: string | null, send: (frame: LiveFrame) => void): () => void {
    const watcher: Watcher = { testId, send };
    setOf(this.#watchers, runId).add(watcher);
    this.#reconcileRun(runId);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      removeFrom(this.#watchers, runId, watcher);
      this.#reconcileRun(runId);
    };
  }

  /**
   * A test's page opened: cast it while someone watches. Returns the cleanup the runner calls
   * before it closes the page.
   */
  pageOpened(key: LivePageKey, start: StartCast): () => Promise<void> {
    const page: LivePage = { key, start, cast: null, closed: false };
    setOf(this.#pages, key.runId).add(page);
    this.#reconcile(page);
    return async () => {
      if (page.closed) return;
      page.closed = true;
      removeFrom(this.#pages, key.runId, page);
      await this.#stop(page);
      for (const fn of this.#closedListeners) fn(key);
    };
  }

  /**
   * Called after a test's page closed and its screencast (if any) stopped: no frame of it comes
   * after. The cross-process publisher (live-publisher.ts) drops its row then.
   */
  onPageClosed(fn: (key: LivePageKey) => void): () => void {
    this.#closedListeners.add(fn);
    return () => void this.#closedListeners.delete(fn);
  }

  #reconcileRun(runId: string): void {
    for (const page of this.#pages.get(runId) ?? []) this.#reconcile(page);
  }

  #wanted(page: LivePage): boolean {
    if (page.closed) return false;
    for (const w of this.#watchers.get(page.key.runId) ?? []) {
      if (w.testId === null || w.testId === page.key.testId) return true;
    }
    return false;
  }

  #reconcile(page: LivePage): void {
    const wanted = this.#wanted(page);
    if (wanted && !page.cast) {
      const cast = page
        .start((f) => this.#deliver(page, f))
        .then(
          (stop) => {
            this.#active++;
            this.#started++;
            let stopped = false;
            return async () => {
              if (stopped) return;
              stopped = true;
              try {
                await stop();
              } finally {
                this.#active--;
              }
            };
          },
          // A page that closed (or a browser without CDP) simply shows nothing.
          () => null,
        );
      page.cast = cast;
      // Watchers may all have left while the screencast was starting.
      void cast.then(() => {
        if (page.cast === cast && !this.#wanted(page)) void this.#stop(page);
      });
    } else if (!wanted && page.cast) {
      void this.#stop(page);
    }
  }

  async #stop(page: LivePage): Promise<void> {
    const cast = page.cast;
    page.cast = null;
    const stop = await cast;
    await stop?.();
  }

  #deliver(page: LivePage, f: ScreencastFrame): void {
    const { testId, attempt, runId } = page.key;
    const frame: LiveFrame = { testId, attempt, mime: f.mime, data: f.data, at: f.at };
    for (const w of this.#watchers.get(runId) ?? []) {
      if (w.testId === null || w.testId === testId) w.send(frame);
    }
  }
}

function setOf<T>(map: Map<string, Set<T>>, key: string): Set<T> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

function removeFrom<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
