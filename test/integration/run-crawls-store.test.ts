import { afterEach, describe, expect, it } from 'vitest';
import { HELD_UNTIL } from '../../src/store/run-triggers.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';

// The crawl phase's bookkeeping on SQLite and PostgreSQL: its run's test jobs are held until it
// ends; one process claims it; a lease whose holder stopped beating is taken over and the old
// holder can no longer write; a run queued behind another keeps its jobs until both the other
// run and its crawl have ended, whichever ends last.

const trigger = { source: 'ci', actor: 'test' };
afterEach(stopEngines);

const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(dialects)('run crawl phases on %s', (dialect) => {
  it('holds the tests, is claimed once, and is taken over only after its lease expired', async () => {
    const { store, engine } = await startEngine(dialect, scriptedExecutor().executor, {
      start: false,
    });
    const p = await newProject(store);
    await addTests(store, p, ['pass a', 'pass b']);
    const run = await engine.createRun(p.id, { trigger, crawl: { maxPages: 5, pages: ['/x'] } });
    // Two tests and the crawl's two checks; pages resolved against the base URL.
    expect(run.total).toBe(4);
    expect((await store.runCrawls.get(run.id))?.request).toEqual({
      maxPages: 5,
      pages: ['http://127.0.0.1:1/x'],
    });
    const held = await store.jobs.listByRun(run.id);
    expect(held.map((j) => j.runAfter)).toEqual([HELD_UNTIL, HELD_UNTIL]);

    const now = Date.now();
    const claims = await Promise.all([
      store.runCrawls.claim('one', iso(now), iso(now - 60_000)),
      store.runCrawls.claim('two', iso(now), iso(now - 60_000)),
    ]);
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    const [winner, loser] = claims[0] ? ['one', 'two'] : ['two', 'one'];
    expect(await store.runCrawls.heartbeat(run.id, loser, iso(now + 1))).toBe(false);
    expect(await store.runCrawls.heartbeat(run.id, winner, iso(now + 1))).toBe(true);
    // Still beating: nobody else gets it.
    expect(await store.runCrawls.claim(loser, iso(now + 2), iso(now - 60_000))).toBeUndefined();
    // Its holder stopped beating a minute ago: taken over.
    const later = now + 120_000;
    const taken = await store.runCrawls.claim(loser, iso(later), iso(later - 60_000));
    expect(taken?.runId).toBe(run.id);
    const end = { status: 'done', summary: null, error: null, at: iso(later) } as const;
    expect(await store.runCrawls.finish(run.id, winner, end)).toBe(false);
    expect((await store.jobs.listByRun(run.id)).every((j) => j.runAfter === HELD_UNTIL)).toBe(true);
    expect(await store.runCrawls.finish(run.id, loser, end)).toBe(true);
    await store.runCrawls.releaseJobs(run.id, iso(later));
    expect((await store.jobs.listByRun(run.id)).map((j) => j.runAfter)).toEqual([
      iso(later),
      iso(later),
    ]);
    expect(await store.runCrawls.unfinished(run.id)).toBe(false);
  });

  it('a run queued behind another keeps its jobs until that run and its crawl have ended', async () => {
    const { store, engine } = await startEngine(dialect, scriptedExecutor().executor, {
      start: false,
    });
    const p = await newProject(store);
    await addTests(store, p, ['pass a']);
    const ahead = await engine.createRun(p.id, { trigger });
    const meta = (runId: string, blockedBy: string | null) => ({
      runId,
      projectId: p.id,
      shape: 'aegis' as const,
      concurrencyKey: 'pr:1',
      policy: 'queue' as const,
      blockedBy,
      strategy: null,
      browser: null,
      device: null,
      git: {},
      event: null,
      externalUrl: null,
      hasCallback: false,
      idempotencyKey: null,
      cancelReason: null,
      createdAt: new Date().toISOString(),
    });
    const behind = await engine.createRun(p.id, {
      trigger,
      crawl: {},
      onCreate: async (tx, run) => {
        await tx.runTriggers.insert(meta(run.id, ahead.id));
        await tx.runTriggers.holdJobs(run.id);
      },
    });
    const now = Date.now();
    const stale = iso(now - 60_000);
    // Waiting for the run ahead: its crawl does not start.
    expect(await store.runCrawls.claim('me', iso(now), stale)).toBeUndefined();
    await engine.cancelRun(p.id, ahead.id);
    expect(await store.runTriggers.release(behind.id, iso(now))).toBe(true);
    // Released from the queue, but its crawl has not run: the tests stay held.
    expect((await store.jobs.listByRun(behind.id)).map((j) => j.runAfter)).toEqual([HELD_UNTIL]);
    expect((await store.runCrawls.claim('me', iso(now), stale))?.runId).toBe(behind.id);
    const at = iso(now + 1000);
    expect(
      await store.runCrawls.finish(behind.id, 'me', {
        status: 'done',
        summary: null,
        error: null,
        at,
      }),
    ).toBe(true);
    await store.runCrawls.releaseJobs(behind.id, at);
    expect((await store.jobs.listByRun(behind.id)).map((j) => j.runAfter)).toEqual([at]);
  });

  it('refuses crawl pages on another origin, and runs a crawl alone when no test is approved', async () => {
    const { store, engine } = await startEngine(dialect, scriptedExecutor().executor, {
      start: false,
    });
    const p = await newProject(store);
    const off = await engine
      .createRun(p.id, { trigger, crawl: { pages: ['https://elsewhere.test/'] } })
      .catch((e: unknown) => e);
    expect(off).toMatchObject({ code: 'validation_failed' });
    const alone = await engine.createRun(p.id, { trigger, crawl: {} });
    expect([alone.total, alone.testIds]).toEqual([2, []]);
    const none = await engine.createRun(p.id, { trigger }).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'no_tests' });
  });
});
