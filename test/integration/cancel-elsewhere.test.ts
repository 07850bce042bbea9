import { afterEach, describe, expect, it, vi } from 'vitest';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

// Two processes on one database, each with a bus of its own: like a worker that never hears
// the `run.finished` of a cancel, because the process that cancelled was killed right after
// its commit. The worker reads the end of the run it is running and stops its test.

afterEach(stopEngines);

describe.each(dialects)('a run cancelled by another process on %s', (dialect) => {
  it('stops the test running here though no event arrives', async () => {
    const x = scriptedExecutor();
    const worker = await startEngine(dialect, x.executor, { endPollMs: 50 });
    const api = await startEngine(dialect, scriptedExecutor().executor, {
      t: worker.t,
      workers: 0,
    });
    const p = await newProject(worker.store);
    await addTests(worker.store, p, ['block one', 'pass two'], 'approved');
    const run = await api.engine.createRun(p.id, {
      trigger: { source: 'api' },
      parallelWorkers: 1,
    });
    await vi.waitFor(() => expect(x.calls).toHaveLength(1), { timeout: 10_000 });
    expect(await api.engine.cancelRun(p.id, run.id, { reason: 'from elsewhere' })).toMatchObject({
      status: 'cancelled',
    });

    await vi.waitFor(() => expect(x.aborted).toHaveLength(1), { timeout: 10_000 });
    // Its result is dropped, and the run's other test never starts.
    await vi.waitFor(async () => expect(await worker.queue.hasPending(run.id)).toBe(false));
    expect(await worker.store.results.listByRun(run.id)).toEqual([]);
    expect(x.calls).toHaveLength(1);
  });
});
