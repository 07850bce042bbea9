import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import {
  DeadlineError,
  executeWithDeadline,
  type TestExecutor,
} from '../../src/engine/executor.ts';
import { planOrder } from '../../src/engine/plan.ts';
import type { RunEvent } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { makeResult } from '../helpers/records.ts';

const trigger = { source: 'api', actor: 'test' };

afterEach(stopEngines);

describe.each(dialects)('Engine on %s', (dialect) => {
  it('runs tests and gives the verdict: passed, failed, error', async () => {
    const x = scriptedExecutor();
    const { store, engine, events, t } = await startEngine(dialect, x.executor);
    const p = await newProject(store);
    await addTests(store, p, ['pass one', 'pass two'], 'approved', { tags: ['ok'] });
    await addTests(store, p, ['fail three'], 'approved', { tags: ['bad'] });
    await addTests(store, p, ['throw four'], 'approved', { tags: ['broken'] });
    await addTests(store, p, ['pass draft'], 'draft', { tags: ['ok'] });

    const seen: RunEvent[] = [];
    events.subscribe('*', (e) => seen.push(e));
    const queued = await engine.createRun(p.id, { selection: { tags: ['ok'] }, trigger });
    expect(queued).toMatchObject({
      status: 'queued',
      total: 2,
      baseUrl: p.baseUrl,
      parallelWorkers: 2,
    });
    const passed = await engine.waitForRun(queued.id);
    expect(passed).toMatchObject({ status: 'passed', error: null, total: 2, passed: 2 });
    expect(passed.startedAt).not.toBeNull();
    expect(passed.finishedAt).not.toBeNull();
    const types = seen.filter((e) => e.runId === queued.id).map((e) => e.type);
    expect(types[0]).toBe('run.queued');
    expect(types[1]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    expect(types.filter((x) => x === 'test.finished')).toHaveLength(2);
    // Two workers may finish together: each event carries the counts it read, so the later
    // event can hold the earlier read. The counts still reach every result, and never exceed.
    const finishedCounts = seen
      .filter((e) => e.runId === queued.id && e.type === 'test.finished')
      .map((e) => e.counts as { total: number; passed: number });
    expect(finishedCounts.every((c) => c.total === 2)).toBe(true);
    expect(Math.max(...finishedCounts.map((c) => c.passed))).toBe(2);

    const failed = await engine.waitForRun(
      (await engine.createRun(p.id, { selection: { tags: ['ok', 'bad'] }, trigger })).id,
    );
    expect(failed).toMatchObject({ status: 'failed', total: 3, passed: 2, failed: 1 });
    expect(failed.error).toMatch(/1 of 3 tests failed/);
    const results = await store.results.listByRun(failed.id, p.id);
    expect(results).toHaveLength(3);
    const bad = results.find((r) => r.status === 'failed')!;
    expect(bad).toMatchObject({ attempt: 1, failedStep: 0, error: 'expected heading "Welcome"' });
    expect(bad.artifacts.screenshot).toBe(`artifacts/${failed.id}/${bad.testId}-1/failure.png`);
    expect(existsSync(join(t.dir, 'artifacts', failed.id, `${bad.testId}-1`))).toBe(true);

    const errored = await engine.waitForRun(
      (await engine.createRun(p.id, { selection: { tags: ['ok', 'broken'] }, trigger })).id,
    );
    expect(errored).toMatchObject({ status: 'error', passed: 2, errored: 1 });
    const crash = (await store.results.listByRun(errored.id)).find((r) => r.status === 'error');
    expect(crash?.error).toMatch(/browser crashed/);
    expect(x.calls.every((c) => c.test.status === 'approved')).toBe(true);
  });

  it('keeps to the run parallelism limit', async () => {
    const x = scriptedExecutor({ delayMs: 40 });
    const { store, engine } = await startEngine(dialect, x.executor, { workers: 4 });
    const p = await newProject(store, 1);
    await addTests(store, p, ['pass 1', 'pass 2', 'pass 3', 'pass 4', 'pass 5', 'pass 6']);
    const run = await engine.createRun(p.id, { trigger, parallelWorkers: 2 });
    expect(run.parallelWorkers).toBe(2);
    expect((await engine.waitForRun(run.id)).status).toBe('passed');
    expect(x.maxRunning).toBe(2);

    const single = await engine.waitForRun((await engine.createRun(p.id, { trigger })).id);
    expect(single).toMatchObject({ status: 'passed', parallelWorkers: 1 });
    expect(x.calls).toHaveLength(12);
  });

  it('cancels a run: queued tests never start and the running one is aborted', async () => {
    const x = scriptedExecutor();
    const { store, engine, events, queue } = await startEngine(dialect, x.executor, { workers: 2 });
    const p = await newProject(store, 1);
    await addTests(store, p, ['block a', 'block b', 'block c']);
    const started = new Promise<RunEvent>((resolve) => {
      const off = events.subscribe('*', (e) => {
        if (e.type === 'test.started') {
          off();
          resolve(e);
        }
      });
    });
    const run = await engine.createRun(p.id, { trigger });
    await started;
    // Cancel once the executor really runs the test: a cancel between test.started and the
    // executor's start means the test never executes (the next test covers that).
    await vi.waitFor(() => expect(x.calls).toHaveLength(1), { timeout: 10_000 });
    const cancelled = await engine.cancelRun(p.id, run.id);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      error: 'the run was cancelled',
      total: 3,
    });
    expect((await engine.waitForRun(run.id)).status).toBe('cancelled');
    // Cancelling again returns the finished run unchanged.
    expect((await engine.cancelRun(p.id, run.id)).finishedAt).toBe(cancelled.finishedAt);
    await engine.stop();
    expect(x.calls).toHaveLength(1);
    expect(x.aborted).toEqual([x.calls[0]!.test.id]);
    expect(x.calls[0]!.signal.aborted).toBe(true);
    expect(await queue.hasPending(run.id)).toBe(false);
    expect(await store.results.listByRun(run.id)).toEqual([]);
  });

  it('never executes a test whose run was cancelled between the claim and the start', async () => {
    const x = scriptedExecutor();
    const { store, engine } = await startEngine(dialect, x.executor, { workers: 1 });
    const p = await newProject(store, 1);
    await addTests(store, p, ['pass once']);
    // Hold the job right after its claim (in the test lookup) while the run is cancelled.
    const tests = store.tests;
    const get = tests.get.bind(tests);
    let reached!: () => void;
    const atLookup = new Promise<void>((r) => (reached = r));
    let letGo!: () => void;
    const gate = new Promise<void>((r) => (letGo = r));
    tests.get = async (...args: Parameters<typeof get>) => {
      reached();
      await gate;
      return get(...args);
    };
    const run = await engine.createRun(p.id, { trigger });
    await atLookup;
    await engine.cancelRun(p.id, run.id);
    letGo();
    expect((await engine.waitForRun(run.id)).status).toBe('cancelled');
    await engine.stop();
    tests.get = get;
    expect(x.calls).toHaveLength(0);
    expect(await store.results.listByRun(run.id)).toEqual([]);
  });

  it('refuses a run with no approved tests or an unknown environment', async () => {
    const { store, engine } = await startEngine(dialect, scriptedExecutor().executor, {
      start: false,
    });
    const p = await newProject(store);
    await addTests(store, p, ['pass draft'], 'draft');
    const none = await engine.createRun(p.id, { trigger }).catch((e) => e);
    expect(none).toBeInstanceOf(AppError);
    expect((none as AppError).code).toBe('no_tests');
    await addTests(store, p, ['pass approved'], 'approved', { tags: ['smoke'] });
    const noTag = await engine
      .createRun(p.id, { selection: { tags: ['nope'] }, trigger })
      .catch((e) => e);
    expect((noTag as AppError).code).toBe('no_tests');
    expect((noTag as AppError).message).toMatch(/tag nope/);
    const env = await engine.createRun(p.id, { environment: 'prod', trigger }).catch((e) => e);
    expect((env as AppError).code).toBe('not_found');
    const proj = await engine.createRun('missing', { trigger }).catch((e) => e);
    expect((proj as AppError).code).toBe('not_found');
    expect((await store.runs.list(p.id, { limit: 10, offset: 0 })).total).toBe(0);
  });

  it('passes environment variables and secrets to the executor and masks secrets', async () => {
    const x = scriptedExecutor();
    const { store, engine } = await startEngine(dialect, x.executor);
    const p = await newProject(store);
    await store.environments.upsert(p.id, {
      name: 'staging',
      baseUrl: 'http://staging.local',
      variables: { USER: 'alice', PASS: 'hunter22' },
      secretNames: ['PASS'],
    });
    await addTests(store, p, ['pass vars'], 'approved', { variables: { USER: 'bob', LOCAL: 'x' } });
    await addTests(store, p, ['throw leak'], 'approved', { tags: ['leak'] });

    const run = await engine.createRun(p.id, {
      environment: 'staging',
      trigger,
      options: { trace: true },
    });
    expect(run).toMatchObject({ environment: 'staging', baseUrl: 'http://staging.local' });
    const done = await engine.waitForRun(run.id);
    expect(done.status).toBe('error');
    const call = x.calls.find((c) => c.test.name === 'pass vars')!;
    expect(call.variables).toEqual({ USER: 'alice', PASS: 'hunter22', LOCAL: 'x' });
    expect(call.secrets).toEqual(['hunter22']);
    expect(call.options.trace).toBe(true);
    const leak = (await store.results.listByRun(run.id)).find((r) => r.status === 'error');
    expect(leak?.error).toContain('••••••');
    expect(leak?.error).not.toContain('hunter22');

    const override = await engine.createRun(p.id, {
      environment: 'staging',
      baseUrl: 'http://override.local',
      selection: { testIds: [call.test.id] },
      trigger,
    });
    expect(override.baseUrl).toBe('http://override.local');
    expect((await engine.waitForRun(override.id)).status).toBe('passed');
    expect(x.calls.at(-1)?.options.trace).toBe(false);
  });

  it('scopes runs and results to their project', async () => {
    const { store, engine } = await startEngine(dialect, scriptedExecutor().executor);
    const a = await newProject(store);
    const b = await newProject(store);
    await addTests(store, a, ['pass a']);
    const run = await engine.waitForRun((await engine.createRun(a.id, { trigger })).id);
    expect(await store.runs.get(b.id, run.id)).toBeUndefined();
    expect(await store.results.listByRun(run.id, b.id)).toEqual([]);
    expect(await store.results.listByRun(run.id, a.id)).toHaveLength(1);
    const cross = await engine.cancelRun(b.id, run.id).catch((e) => e);
    expect((cross as AppError).code).toBe('not_found');
    expect((await store.runs.list(b.id, { limit: 5, offset: 0 })).total).toBe(0);
  });

  it('recovers at start-up: finishes runs with all results and gives up on crash loops', async () => {
    const x = scriptedExecutor();
    const first = await startEngine(dialect, x.executor, { start: false });
    const { store, queue } = first;
    const p = await newProject(store, 1);
    await addTests(store, p, ['pass only']);
    // Every job done but the process died before writing the verdict.
    const done = await first.engine.createRun(p.id, { trigger });
    const job = (await queue.claim('w', AbortSignal.timeout(5_000)))!;
    await queue.complete(
      job,
      makeResult(done.id, job.testId, { testName: 'pass only', durationMs: 5 }),
    );
    // A test that killed its process three times over.
    const looping = await first.engine.createRun(p.id, { trigger });
    for (let i = 0; i < 3; i++) {
      // A process that dies holding the job: its heartbeat stops and the lease runs out.
      const dying = new LocalQueue(store, { leaseMs: 20 });
      await dying.claim('w', AbortSignal.timeout(5_000));
      await dying.close();
      await new Promise((r) => setTimeout(r, 30));
      await new LocalQueue(store).recover();
    }
    expect((await store.jobs.listByRun(looping.id))[0]?.attempt).toBe(4);

    const second = await startEngine(dialect, x.executor, { t: first.t });
    expect(await second.engine.waitForRun(done.id)).toMatchObject({ status: 'passed', passed: 1 });
    const gaveUp = await second.engine.waitForRun(looping.id);
    expect(gaveUp).toMatchObject({ status: 'error', errored: 1 });
    const [r] = await store.results.listByRun(looping.id);
    expect(r).toMatchObject({ attempt: 4, status: 'error' });
    expect(r?.error).toMatch(/stopped 3 times/);
    expect(x.calls).toHaveLength(0);
  });

  it('gives running tests back to the queue when stopped, and runs them after a restart', async () => {
    const x = scriptedExecutor();
    const first = await startEngine(dialect, x.executor, { workers: 1 });
    const { store, events } = first;
    const p = await newProject(store, 1);
    const [blocked] = await addTests(store, p, ['block on stop']);
    const started = new Promise<void>((resolve) => {
      const off = events.subscribe('*', (e) => {
        if (e.type === 'test.started') {
          off();
          resolve();
        }
      });
    });
    const run = await first.engine.createRun(p.id, { trigger });
    await started;
    await first.engine.stop();
    expect(x.aborted).toEqual([blocked!.id]);
    const [job] = await store.jobs.listByRun(run.id);
    expect(job).toMatchObject({ status: 'queued', attempt: 1 });
    expect(await store.results.listByRun(run.id)).toEqual([]);

    // The same test now passes (renamed), proving it really runs again.
    await store.tests.update(p.id, blocked!.id, { name: 'pass after restart' });
    const second = await startEngine(dialect, x.executor, { t: first.t });
    expect(await second.engine.waitForRun(run.id)).toMatchObject({ status: 'passed', passed: 1 });
  });

  it('waits with a timeout or a signal', async () => {
    const { store, engine } = await startEngine(dialect, scriptedExecutor().executor, {
      start: false,
    });
    const p = await newProject(store);
    await addTests(store, p, ['pass w']);
    const run = await engine.createRun(p.id, { trigger });
    expect((await engine.waitForRun(run.id, { timeoutMs: 20 })).status).toBe('queued');
    const ctl = new AbortController();
    const waiting = engine.waitForRun(run.id, { signal: ctl.signal }).catch((e) => e);
    ctl.abort(new Error('client went away'));
    expect(((await waiting) as Error).message).toBe('client went away');
    const missing = await engine.waitForRun('nope').catch((e) => e);
    expect((missing as AppError).code).toBe('not_found');
    await engine.start();
    expect((await engine.waitForRun(run.id)).status).toBe('passed');
  });
});

describe('executeWithDeadline', () => {
  it('aborts an executor that overruns and gives up if it ignores the signal', async () => {
    const ctl = new AbortController();
    const hang: TestExecutor = () => new Promise(() => {});
    const job = {} as Parameters<typeof executeWithDeadline>[1];
    const err = await executeWithDeadline(hang, job, ctl, 20, 20).catch((e) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(ctl.signal.aborted).toBe(true);
  });
});

describe('planOrder', () => {
  it('puts unknown tests first, then the longest', () => {
    const t = (id: string) => ({ id }) as Parameters<typeof planOrder>[0][number];
    const order = planOrder(
      [t('a'), t('b'), t('c'), t('d')],
      new Map([
        ['a', 10],
        ['c', 500],
      ]),
    );
    expect(order).toEqual(['b', 'd', 'c', 'a']);
  });
});
