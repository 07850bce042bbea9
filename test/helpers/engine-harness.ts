import { Engine, type EngineDeps, type TestExecutor } from '../../src/engine/engine.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { Store } from '../../src/store/connect.ts';
import { openTestStore, type TestDialect, type TestStore } from '../fixtures/engine/test-stores.ts';

export interface EngineHarness {
  t: TestStore;
  store: Store;
  events: InProcessEventBus;
  queue: LocalQueue;
  engine: Engine;
}

export interface EngineHarnessOptions extends Partial<
  Pick<EngineDeps, 'workers' | 'clock' | 'stopGraceMs' | 'artifacts' | 'logger' | 'endPollMs'>
> {
  /** false: built but not started, so its runs stay queued. */
  start?: boolean;
  /** A store already open (an executor needing its dir, a second engine); else a fresh one. */
  t?: TestStore;
  /** The event bus (one that loses events, say); else a fresh in-process one. */
  events?: InProcessEventBus;
}

const open: EngineHarness[] = [];

/**
 * An engine on a test store with a local queue (polling every 50 ms) and in-process events:
 * 2 workers and a 1 s stop grace unless told otherwise. `stopEngines` stops it and disposes
 * its store, a given one too.
 */
export async function startEngine(
  dialect: TestDialect,
  executor: TestExecutor,
  opts: EngineHarnessOptions = {},
): Promise<EngineHarness> {
  const { start, t: given, events = new InProcessEventBus(), ...deps } = opts;
  const t = given ?? (await openTestStore(dialect));
  const queue = new LocalQueue(t.store, { pollIntervalMs: 50 });
  const engine = new Engine({
    store: t.store,
    queue,
    events,
    executor,
    dataDir: t.dir,
    workers: 2,
    stopGraceMs: 1_000,
    ...deps,
  });
  const h = { t, store: t.store, events, queue, engine };
  // Listed before start, so a start that throws still has its store disposed.
  open.push(h);
  if (start !== false) await engine.start();
  return h;
}

/** Stops every engine `startEngine` made, then disposes their stores (a shared one once). */
export async function stopEngines(): Promise<void> {
  const disposed = new Set<TestStore>();
  for (const h of open.splice(0)) {
    await h.engine.stop();
    await h.queue.close();
    if (disposed.has(h.t)) continue;
    disposed.add(h.t);
    await h.t.dispose();
  }
}
