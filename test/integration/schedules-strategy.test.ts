import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { makeOutcome } from '../helpers/records.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import {
  addTests,
  dialects,
  newProject,
  POSTGRES_URL,
  type TestDialect,
} from '../fixtures/engine/test-stores.ts';
import { runCli } from '../helpers/cli.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';

/**
 * Schedules that carry a selection strategy and run options: a nightly flaky sweep on real
 * SQLite and PostgreSQL with a pinned clock, and the API's validation of both.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pgAdmin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

/** `flip …` fails on its first call and passes on the next; every other test passes. */
const flippingExecutor = (): TestExecutor => {
  const seen = new Map<string, number>();
  return async (job) => {
    const n = (seen.get(job.test.id) ?? 0) + 1;
    seen.set(job.test.id, n);
    const failed = job.test.name.startsWith('flip') && n % 2 === 1;
    return makeOutcome(
      job.test,
      failed ? { status: 'failed', failedStep: 0, error: 'expected heading "Welcome"' } : {},
    );
  };
};

/** A fresh store (temp SQLite file or PostgreSQL schema) and engine on one pinned clock. */
async function openWorld(dialect: TestDialect, startAt: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gl-sched-strategy-'));
  const at = new Date(startAt);
  const clock = () => new Date(at);
  let schema: string | null = null;
  let store: Store;
  if (dialect === 'sqlite') {
    store = await openStore({ databaseUrl: `sqlite:${join(dir, 'gl.db')}`, clock });
  } else {
    schema = `gl_${randomBytes(6).toString('hex')}`;
    await pgAdmin(`create schema ${schema}`);
    store = await openStore({ databaseUrl: POSTGRES_URL, schema, clock });
  }
  const queue = new LocalQueue(store, { pollIntervalMs: 50 });
  const engine = new Engine({
    store,
    queue,
    events: new InProcessEventBus(),
    executor: flippingExecutor(),
    dataDir: dir,
    workers: 1,
    clock,
    stopGraceMs: 200,
  });
  cleanups.push(async () => {
    await engine.stop();
    await queue.close();
    await store.close();
    if (schema) await pgAdmin(`drop schema ${schema} cascade`);
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, engine, clock };
}

describe.each(dialects)('scheduled strategies on %s', (dialect) => {
  it('a nightly flaky sweep fires with its strategy and run options', async () => {
    const w = await openWorld(dialect, '2025-03-10T12:00:00Z');
    const project = await newProject(w.store);
    const [flip, steady] = await addTests(w.store, project, ['flip checkout', 'steady home']);
    await w.engine.start();
    // History: flip fails then passes (score 50), steady passes twice (score 0).
    for (let i = 0; i < 2; i++) {
      const run = await w.engine.createRun(project.id, { trigger: { source: 'api' } });
      await w.engine.waitForRun(run.id);
    }
    const s = await w.store.schedules.create(project.id, {
      name: 'nightly flaky sweep',
      cron: '0 2 * * *',
      timezone: 'UTC',
      enabled: true,
      selection: {},
      environment: null,
      baseUrl: null,
      parallelWorkers: null,
      strategy: { strategy: 'flaky', minFlakyScore: 30 },
      options: { retries: 2, failOnFlaky: true, screenshots: 'every-step', device: 'mobile' },
    });
    expect(await w.store.schedules.get(project.id, s.id)).toMatchObject({
      strategy: { strategy: 'flaky', minFlakyScore: 30 },
      options: { retries: 2, failOnFlaky: true, screenshots: 'every-step', device: 'mobile' },
    });

    const sch = new Scheduler({
      store: w.store,
      engine: w.engine,
      clock: w.clock,
      logger: pino({ level: 'silent' }),
    });
    expect((await sch.tick(new Date('2025-03-11T01:59:59Z'))).fired).toEqual([]);
    const report = await sch.tick(new Date('2025-03-11T02:00:00Z'));
    expect(report.failed).toEqual([]);
    expect(report.fired).toHaveLength(1);
    const runId = report.fired[0]?.runId ?? '';
    const run = await w.store.runs.get(project.id, runId);
    expect(run?.trigger).toEqual({ source: 'schedule', actor: 'nightly flaky sweep' });
    expect(run?.selectionDetail?.strategy).toBe('flaky');
    expect(run?.selectionDetail?.inputs).toEqual({ minFlakyScore: 30 });
    expect(run?.testIds).toEqual([flip?.id]);
    expect(run?.testIds).not.toContain(steady?.id);
    expect(await w.store.runs.options(runId)).toMatchObject({
      retries: 2,
      failOnFlaky: true,
      screenshots: 'every-step',
      device: 'mobile',
    });
  });
});

describe('schedule strategy and options over HTTP', () => {
  let h: Harness;
  let P: string;
  beforeAll(async () => {
    h = await startHarness({ config: { allowPrivateUrls: ['loopback'] } });
    const res = await h.call('POST', '/api/v1/projects', {
      name: 'Swept',
      slug: `swept-${randomBytes(3).toString('hex')}`,
      baseUrl: 'http://127.0.0.1:9',
    });
    expect(res.status).toBe(201);
    P = `/api/v1/projects/${res.body.id}/schedules`;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('stores, shows, changes and clears a strategy with run options', async () => {
    const res = await h.call('POST', P, {
      name: 'nightly',
      cron: '0 2 * * *',
      strategy: 'flaky',
      minFlakyScore: 40,
      options: { retries: 2, failOnFlaky: true, browser: 'chromium', screenshots: 'every-step' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      strategy: 'flaky',
      minFlakyScore: 40,
      recentDays: null,
      options: { retries: 2, failOnFlaky: true, browser: 'chromium', screenshots: 'every-step' },
    });
    const id = res.body.id as string;

    const recent = await h.call('PATCH', `${P}/${id}`, { strategy: 'recent', recentDays: 3 });
    expect(recent.status).toBe(200);
    expect(recent.body).toMatchObject({ strategy: 'recent', recentDays: 3, minFlakyScore: null });
    // A patch without strategy fields keeps them.
    const renamed = await h.call('PATCH', `${P}/${id}`, { name: 'nightly recent' });
    expect(renamed.body).toMatchObject({ strategy: 'recent', recentDays: 3 });
    expect(renamed.body.options).toMatchObject({ retries: 2 });

    const cleared = await h.call('PATCH', `${P}/${id}`, { strategy: null, options: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ strategy: null, recentDays: null, options: null });
    expect((await h.call('GET', `${P}/${id}`)).body).toMatchObject({ strategy: null });

    const plain = await h.call('POST', P, { name: 'plain', cron: '@daily' });
    expect(plain.body).toMatchObject({ strategy: null, options: null });
  });

  it('refuses changed, stray strategy inputs and bad run options with 400', async () => {
    const body = { name: 'bad', cron: '0 2 * * *' };
    const changed = errorBody(
      await h.call('POST', P, { ...body, strategy: 'changed' }),
      400,
      'validation_failed',
    );
    expect(JSON.stringify(changed)).toMatch(/no changed files/);
    const stray = errorBody(
      await h.call('POST', P, { ...body, recentDays: 3 }),
      400,
      'validation_failed',
    );
    expect(stray.error).toMatch(/recentDays needs a strategy/);
    errorBody(
      await h.call('POST', P, { ...body, options: { retries: 9 } }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('POST', P, { ...body, options: { colour: 'blue' } }),
      400,
      'validation_failed',
    );
    const device = errorBody(
      await h.call('POST', P, { ...body, options: { device: 'Nokia 3310' } }),
      400,
      'validation_failed',
    );
    expect(device.error).toMatch(/device "Nokia 3310" is not known/);
    const dataSet = errorBody(
      await h.call('POST', P, { ...body, options: { dataSet: 'nope' } }),
      400,
      'validation_failed',
    );
    expect(dataSet.error).toMatch(/data set "nope" not found/);

    const ok = await h.call('POST', P, { ...body, name: 'ok' });
    expect(ok.status).toBe(201);
    errorBody(
      await h.call('PATCH', `${P}/${ok.body.id}`, { strategy: 'changed' }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PATCH', `${P}/${ok.body.id}`, { minFlakyScore: 10 }),
      400,
      'validation_failed',
    );
    // Nothing was stored by the refused writes.
    const names = (await h.call('GET', P)).body.items.map((s: { name: string }) => s.name);
    expect(names).not.toContain('bad');
  });
});

describe('greenlight schedule create with a strategy and run options', () => {
  it('stores them, and refuses changed by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-sched-cli-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const env = { GREENLIGHT_DATA_DIR: dir };
    const made = await runCli(
      ['project', 'create', 'Shop', '--base-url', 'http://127.0.0.1:9'],
      env,
    );
    expect(made.code, made.stderr).toBe(0);
    const ok = await runCli(
      [
        'schedule',
        'create',
        'shop',
        '--name',
        'sweep',
        '--cron',
        '0 2 * * *',
        '--strategy',
        'flaky',
        '--min-flaky-score',
        '20',
        '--retries',
        '2',
        '--fail-on-flaky',
        '--device',
        'mobile',
        '--screenshots',
        'every-step',
      ],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(
      ['schedule', 'create', 'shop', '--name', 'x', '--cron', '@daily', '--strategy', 'changed'],
      env,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--strategy must be one of failed, flaky, recent/);
    const badShots = await runCli(
      ['schedule', 'create', 'shop', '--name', 'y', '--cron', '@daily', '--screenshots', 'all'],
      env,
    );
    expect(badShots.code).not.toBe(0);
    expect(badShots.stderr).toMatch(/--screenshots/);

    const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
    try {
      const project = await store.projects.get('shop');
      const schedules = await store.schedules.list(project?.id ?? '');
      expect(schedules.map((s) => s.name)).toEqual(['sweep']);
      expect(schedules[0]).toMatchObject({
        strategy: { strategy: 'flaky', minFlakyScore: 20 },
        options: { retries: 2, failOnFlaky: true, device: 'mobile', screenshots: 'every-step' },
      });
    } finally {
      await store.close();
    }
  }, 60_000);
});
