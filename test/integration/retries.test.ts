import { afterEach, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { quarantineTest, releaseTest } from '../../src/engine/quarantine.ts';
import type { RunEvent } from '../../src/events/event-bus.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

/**
 * Retries, flaky results, quarantine and the run time limit at the engine level, with the
 * scripted executor standing in for the browser. A test named `flaky …` fails on its first
 * execution in a job and passes on the next one.
 */
function flakyAwareExecutor() {
  const x = scriptedExecutor();
  const seen = new Map<string, number>();
  const executor: TestExecutor = async (job) => {
    if (!job.test.name.startsWith('flaky')) return x.executor(job);
    const n = (seen.get(job.test.id) ?? 0) + 1;
    seen.set(job.test.id, n);
    const renamed = { ...job.test, name: n % 2 === 1 ? 'fail (flaky)' : 'pass (flaky)' };
    const outcome = await x.executor({ ...job, test: renamed });
    return { ...outcome, testName: job.test.name };
  };
  return { executor, calls: x.calls };
}

const trigger = { source: 'api', actor: 'test' };

afterEach(stopEngines);

describe.each(dialects)('retries and quarantine on %s', (dialect) => {
  it('retries a failing test: fail then pass is flaky, the run passes, attempts are kept', async () => {
    const x = flakyAwareExecutor();
    const { store, engine, events } = await startEngine(dialect, x.executor);
    const p = await newProject(store);
    const [flaky] = await addTests(store, p, ['flaky checkout', 'pass home']);
    const seen: RunEvent[] = [];
    events.subscribe('*', (e) => seen.push(e));

    const run = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, options: { retries: 1 } })).id,
    );
    expect(run).toMatchObject({ status: 'passed', error: null, total: 2, passed: 1, flaky: 1 });
    expect(run.failed + run.errored + run.quarantined).toBe(0);

    const results = await store.results.listByRun(run.id, p.id);
    expect(results).toHaveLength(2);
    const r = results.find((x) => x.testId === flaky!.id)!;
    expect(r).toMatchObject({ status: 'flaky', attempt: 2, error: null });
    expect(r.retries).toHaveLength(1);
    expect(r.retries![0]).toMatchObject({
      attempt: 1,
      status: 'failed',
      error: 'expected heading "Welcome"',
      failedStep: 0,
    });
    // Each attempt has its own artifacts folder.
    const folders = x.calls.filter((c) => c.test.id === flaky!.id).map((c) => c.artifactsBase);
    expect(folders).toHaveLength(2);
    expect(new Set(folders).size).toBe(2);
    expect(r.retries![0]!.artifacts.screenshot).toBe(`${folders[0]}/failure.png`);

    const retrying = seen.filter((e) => e.type === 'test.retrying' && e.runId === run.id);
    expect(retrying).toHaveLength(1);
    expect(retrying[0]).toMatchObject({ testId: flaky!.id, attempt: 1, status: 'failed' });
    expect(retrying[0]!.error).toMatch(/Welcome/);
    const finished = seen.find((e) => e.type === 'run.finished' && e.runId === run.id);
    expect(finished?.counts).toMatchObject({ flaky: 1, passed: 1 });
  });

  it('without retries the same test fails; with retries a test that always fails stays failed', async () => {
    const x = flakyAwareExecutor();
    const { store, engine } = await startEngine(dialect, x.executor);
    const p = await newProject(store);
    const [flaky, broken] = await addTests(store, p, ['flaky once', 'fail always']);

    const none = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, selection: { testIds: [flaky!.id] } })).id,
    );
    expect(none).toMatchObject({ status: 'failed', failed: 1, flaky: 0 });
    expect(x.calls).toHaveLength(1);

    const always = await engine.waitForRun(
      (
        await engine.createRun(p.id, {
          trigger,
          selection: { testIds: [broken!.id] },
          options: { retries: 2 },
        })
      ).id,
    );
    expect(always).toMatchObject({ status: 'failed', failed: 1, flaky: 0 });
    const [r] = await store.results.listByRun(always.id, p.id);
    expect(r).toMatchObject({ status: 'failed', attempt: 3 });
    expect(r!.retries!.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect(x.calls).toHaveLength(4);
  });

  it('failOnFlaky fails a run with a flaky test; project defaults apply when a run says nothing', async () => {
    const x = flakyAwareExecutor();
    const { store, engine } = await startEngine(dialect, x.executor);
    const p = await newProject(store);
    await addTests(store, p, ['flaky cart', 'pass about']);

    const strict = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, options: { retries: 1, failOnFlaky: true } })).id,
    );
    expect(strict).toMatchObject({ status: 'failed', flaky: 1, passed: 1 });
    expect(strict.error).toBe('1 flaky test (failOnFlaky)');

    const updated = await store.projects.update(p.id, { retries: 2, failOnFlaky: true });
    expect(updated).toMatchObject({ retries: 2, failOnFlaky: true });
    const byProject = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    expect(byProject).toMatchObject({ status: 'failed', flaky: 1 });
    expect(await store.runs.options(byProject.id)).toMatchObject({
      retries: 2,
      failOnFlaky: true,
    });
    // A run's own option wins over the project's default.
    const lenient = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, options: { failOnFlaky: false } })).id,
    );
    expect(lenient).toMatchObject({ status: 'passed', flaky: 1 });
  });

  it('a quarantined test runs and is reported but never decides the verdict', async () => {
    const x = flakyAwareExecutor();
    const { store, engine } = await startEngine(dialect, x.executor);
    const p = await newProject(store);
    const [broken] = await addTests(store, p, ['fail legacy widget', 'pass home']);
    const q = await quarantineTest(store, p.id, broken!.id, {
      reason: 'known bug GL-42',
      by: 'dev@example.com',
      at: new Date(),
    });
    expect(q.quarantine).toMatchObject({ reason: 'known bug GL-42', by: 'dev@example.com' });
    expect((await store.tests.get(p.id, broken!.id))?.quarantine?.reason).toBe('known bug GL-42');

    const run = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    expect(run).toMatchObject({ status: 'passed', passed: 1, failed: 0, quarantined: 1 });
    const results = await store.results.listByRun(run.id, p.id);
    const r = results.find((x) => x.testId === broken!.id)!;
    expect(r).toMatchObject({ status: 'failed', quarantined: true });
    expect(results.find((x) => x.testId !== broken!.id)?.quarantined).toBeUndefined();

    // Released, the failure gates again.
    expect((await releaseTest(store, p.id, broken!.id)).quarantine).toBeNull();
    const again = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    expect(again).toMatchObject({ status: 'failed', failed: 1, quarantined: 0 });

    // Another project's test cannot be quarantined through this project.
    const other = await newProject(store);
    const err = await quarantineTest(store, other.id, broken!.id, {
      reason: 'x',
      by: 'y',
      at: new Date(),
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('not_found');
  });

  it('times out a run: queued tests dropped, running ones aborted, the run ends as error', async () => {
    const x = flakyAwareExecutor();
    const { store, engine } = await startEngine(dialect, x.executor);
    const p = await newProject(store, 1);
    await addTests(store, p, ['block one', 'block two', 'pass three']);
    const run = await engine.waitForRun(
      (await engine.createRun(p.id, { trigger, options: { timeoutMs: 300 } })).id,
    );
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/^the run timed out after 0\.3 s; 3 of 3 tests did not finish$/);
    expect(await store.results.listByRun(run.id, p.id)).toEqual([]);
  });

  it('finishes an overdue run at start-up (recovery applies the time limit)', async () => {
    const x = flakyAwareExecutor();
    const { store, engine } = await startEngine(dialect, x.executor, { start: false });
    const p = await newProject(store);
    await addTests(store, p, ['pass one', 'pass two']);
    const queued = await engine.createRun(p.id, { trigger, options: { timeoutMs: 1_000 } });
    // The process that started it died an hour ago.
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect(await store.runs.markRunning(queued.id, longAgo)).toBe(true);
    await engine.start();
    const run = await engine.waitForRun(queued.id);
    expect(run.status).toBe('error');
    expect(run.error).toBe('the run timed out after 1 s; 2 of 2 tests did not finish');
    expect(x.calls).toHaveLength(0);
  });
});
