import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EventBus, RunEvent } from '../events/event-bus.ts';
import type { Broadcast } from '../events/shared-event-bus.ts';
import type { Store } from '../store/connect.ts';
import type { NewStreamEvent } from '../store/run-stream-events.ts';
import { streamEntriesOf } from './run-stream-entries.ts';

/** Where readers of the run logs learn that a run's log grew. */
export interface RunLogFeed {
  /**
   * `fn(runId, lastId)` after events of a run were appended: by this process at once, and on
   * PostgreSQL by any process (a NOTIFY carrying the run and the id, never the events).
   * Returns the function that unsubscribes.
   */
  onAppended(fn: (runId: string, lastId: number) => void): () => void;
  /** Resolves once every event this process published for the run so far is written. */
  drain(runId: string): Promise<void>;
}

export interface RunLogWriterOptions {
  store: Store;
  events: EventBus;
  /** On PostgreSQL, the channel every process hears (`greenlight_stream:<schema>`). */
  channel?: Broadcast | undefined;
  logger?: Logger | undefined;
}

interface Pending {
  projectId: string;
  events: NewStreamEvent[];
  finished: boolean;
  writing: Promise<void> | null;
}

const notice = z.object({ o: z.string(), r: z.string().min(1), i: z.number().int() });

/**
 * Writes the run events this process publishes into their runs' stream logs (the table
 * `run_stream_events`), so the live stream of a run is the same on every process and survives
 * restarts. Each process writes only its own events (remote ones were written where they were
 * published); a result's lines are written with the result itself (`logged`), and only
 * announced here. Events of one run are written in the order published; those published while a
 * write is out go together in the next one (one transaction), so a busy run costs a write per
 * batch rather than per event.
 */
export class RunLogWriter implements RunLogFeed {
  readonly #o: RunLogWriterOptions;
  readonly #origin = randomUUID();
  readonly #pending = new Map<string, Pending>();
  readonly #listeners = new Set<(runId: string, lastId: number) => void>();
  #unsubscribe: (() => void) | null = null;

  constructor(o: RunLogWriterOptions) {
    this.#o = o;
    o.channel?.onMessage((m) => this.#heard(m));
  }

  /** Start writing the bus's events (again after stop). */
  start(): void {
    this.#unsubscribe ??= this.#o.events.subscribe('*', (e) => this.#onEvent(e));
  }

  /** Stop taking events; resolves once those taken are written. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await Promise.all([...this.#pending.values()].map((p) => p.writing));
  }

  onAppended(fn: (runId: string, lastId: number) => void): () => void {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }

  async drain(runId: string): Promise<void> {
    // A write may queue the next batch when it ends: wait until the run has none left.
    for (let p = this.#pending.get(runId); p?.writing; p = this.#pending.get(runId)) {
      await p.writing;
    }
  }

  #onEvent(e: RunEvent): void {
    if (e.remote) return;
    if (e.logged !== undefined) {
      this.#announce(e.runId, e.logged);
      return;
    }
    const entries = streamEntriesOf(e);
    if (entries.length === 0) return;
    let p = this.#pending.get(e.runId);
    if (!p) {
      p = { projectId: e.projectId, events: [], finished: false, writing: null };
      this.#pending.set(e.runId, p);
    }
    p.events.push(...entries);
    if (e.type === 'run.finished') p.finished = true;
    p.writing ??= this.#write(e.runId, p);
  }

  async #write(runId: string, p: Pending): Promise<void> {
    // Let the rest of this turn's events join the batch.
    await Promise.resolve();
    while (p.events.length > 0) {
      const batch = p.events.splice(0);
      const finished = p.finished;
      p.finished = false;
      try {
        const lastId = await this.#o.store.runStreamEvents.append(runId, p.projectId, batch, {
          finished,
        });
        this.#announce(runId, lastId);
      } catch (err) {
        // Live clients then miss these lines; a reconnect is answered with a snapshot.
        this.#o.logger?.error({ err, runId, events: batch.length }, 'writing run events failed');
      }
    }
    p.writing = null;
    this.#pending.delete(runId);
  }

  #announce(runId: string, lastId: number): void {
    this.#tell(runId, lastId);
    this.#o.channel?.send(JSON.stringify({ o: this.#origin, r: runId, i: lastId }));
  }

  #heard(message: string): void {
    let parsed;
    try {
      parsed = notice.safeParse(JSON.parse(message));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      this.#o.logger?.warn({ message: message.slice(0, 200) }, 'ignored a run log notice');
      return;
    }
    // This process told its own readers when it wrote.
    if (parsed.data.o === this.#origin) return;
    this.#tell(parsed.data.r, parsed.data.i);
  }

  #tell(runId: string, lastId: number): void {
    for (const fn of [...this.#listeners]) {
      try {
        fn(runId, lastId);
      } catch (err) {
        this.#o.logger?.error({ err, runId }, 'run log listener failed');
      }
    }
  }
}
