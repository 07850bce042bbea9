import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DoneState, LogData, ResultLine } from '../../src/engine/run-stream-entries.ts';
import { InProcessEventBus, type RunEvent } from '../../src/events/event-bus.ts';
import type { Store } from '../../src/store/connect.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

/**
 * A process killed right after recording a result or a run's end never publishes its
 * `test.finished` or `run.finished`: this bus loses exactly those events, which is what the
 * run's stream log sees of such a kill. (Waiting for the run falls back to reading the store.)
 */
class BusLosingEnds extends InProcessEventBus {
  override publish(e: RunEvent): void {
    if (e.type !== 'test.finished' && e.type !== 'run.finished') super.publish(e);
  }
}

async function logOf(store: Store, runId: string) {
  const log = await store.runStreamEvents.after<ResultLine & LogData & DoneState>(runId, 0, 100);
  // Ids rise by one: nothing written twice, nothing skipped.
  expect(log.map((e) => e.id)).toEqual(log.map((_, i) => i + 1));
  return log;
}

afterEach(stopEngines);

describe.each(dialects)("a result's and a run's end's live-stream lines on %s", (dialect) => {
  it('are written with the result and the end, in order, whatever is published', async () => {
    const x = scriptedExecutor({ delayMs: 20 });
    const { store, engine } = await startEngine(dialect, x.executor, {
      events: new BusLosingEnds(),
    });
    const p = await newProject(store);
    await addTests(store, p, ['pass one', 'fail two', 'pass three'], 'approved');
    const run = await engine.createRun(p.id, { selection: {}, trigger: { source: 'api' } });
    expect(await engine.waitForRun(run.id)).toMatchObject({ status: 'failed', total: 3 });
    const log = await logOf(store, run.id);
    const results = log.filter((e) => e.type === 'result');
    expect(results.map((e) => e.data.testName).sort()).toEqual([
      'fail two',
      'pass one',
      'pass three',
    ]);
    expect(results.find((e) => e.data.testName === 'fail two')?.data.status).toBe('failed');
    // Each result follows its test's start line and comes with a snapshot of the counts.
    for (const r of results) {
      const started = log.find((e) => e.data.started && e.data.testId === r.data.testId);
      expect(started?.id).toBeLessThan(r.id);
      expect(log.find((e) => e.id === r.id + 1)?.type).toBe('snapshot');
    }
    expect(log.at(-1)).toMatchObject({ type: 'done', data: { status: 'failed' } });
  });

  it('end with done when the run is cancelled or runs out of time', async () => {
    const x = scriptedExecutor();
    const { store, engine } = await startEngine(dialect, x.executor, {
      events: new BusLosingEnds(),
    });
    const p = await newProject(store);
    await addTests(store, p, ['block one'], 'approved');
    const trigger = { source: 'api' };
    const cancelled = await engine.createRun(p.id, { trigger });
    await vi.waitFor(() => expect(x.calls).toHaveLength(1));
    await engine.cancelRun(p.id, cancelled.id, { reason: 'by a test' });
    expect((await logOf(store, cancelled.id)).at(-1)).toMatchObject({
      type: 'done',
      data: { status: 'cancelled' },
    });

    const late = await engine.createRun(p.id, { trigger, options: { timeoutMs: 300 } });
    expect(await engine.waitForRun(late.id)).toMatchObject({ status: 'error' });
    expect((await logOf(store, late.id)).at(-1)).toMatchObject({
      type: 'done',
      data: { status: 'error' },
    });
  });
});
