import { afterEach, describe, expect, it } from 'vitest';
import type { LogData, ResultLine } from '../../src/engine/run-stream-entries.ts';
import { InProcessEventBus, type RunEvent } from '../../src/events/event-bus.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

/**
 * A process killed right after recording a result never publishes its `test.finished`: this
 * bus loses exactly those events, which is what the run's stream log sees of such a kill.
 */
class BusLosingResults extends InProcessEventBus {
  override publish(e: RunEvent): void {
    if (e.type !== 'test.finished') super.publish(e);
  }
}

afterEach(stopEngines);

describe.each(dialects)("a result's live-stream lines on %s", (dialect) => {
  it('are written with the result, in order after the test started, whatever is published', async () => {
    const x = scriptedExecutor({ delayMs: 20 });
    const { store, engine } = await startEngine(dialect, x.executor, {
      events: new BusLosingResults(),
    });
    const p = await newProject(store);
    await addTests(store, p, ['pass one', 'fail two', 'pass three'], 'approved');
    const run = await engine.createRun(p.id, { selection: {}, trigger: { source: 'api' } });
    expect(await engine.waitForRun(run.id)).toMatchObject({ status: 'failed', total: 3 });
    await engine.runLog.drain(run.id);

    const log = await store.runStreamEvents.after<ResultLine & LogData>(run.id, 0, 100);
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
    expect(log.at(-1)?.type).toBe('done');
    expect(log.map((e) => e.id)).toEqual(log.map((_, i) => i + 1));
  });
});
