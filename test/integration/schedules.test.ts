import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Project } from '../../src/domain/project.ts';
import { Engine } from '../../src/engine/engine.ts';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import type { ScheduleInput } from '../../src/store/schedules.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import {
  dialects,
  doc,
  newProject,
  POSTGRES_URL,
  type TestDialect,
} from '../fixtures/engine/test-stores.ts';

/**
 * The scheduler against real SQLite and PostgreSQL with a pinned clock: every instant below is
 * set by the test, nothing waits for real time to pass.
 */

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A movable clock shared by the store (row timestamps) and the scheduler. */
function fakeClock(iso: string) {
  let now = new Date(iso);
  return {
    now: () => new Date(now),
    set: (to: string) => (now = new Date(to)),
  };
}

interface World {
  store: Store;
  engine: Engine;
  queue: LocalQueue;
  dir: string;
  schema: string | null;
  clock: ReturnType<typeof fakeClock>;
}

/** A fresh database (temp SQLite file or PostgreSQL schema) whose store uses the fake clock. */
async function openWorld(dialect: TestDialect, startAt: string): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-sched-'));
  const clock = fakeClock(startAt);
  let schema: string | null = null;
  let store: Store;
  if (dialect === 'sqlite') {
    store = await openStore({ databaseUrl: `sqlite:${join(dir, 'gl.db')}`, clock: clock.now });
  } else {
    schema = `gl_${randomBytes(6).toString('hex')}`;
    await pgAdmin(`create schema ${schema}`);
    store = await openStore({ databaseUrl: POSTGRES_URL, schema, clock: clock.now });
  }
  const world = { ...(await engineOn(store, dir, clock.now)), dir, schema, clock };
  cleanups.push(async () => {
    await world.queue.close();
    await store.close();
    if (schema) await pgAdmin(`drop schema ${schema} cascade`);
    rmSync(dir, { recursive: true, force: true });
  });
  return world;
}

/** A second "process" on the same database: its own store connection, queue and engine. */
async function secondProcess(w: World): Promise<{ store: Store; engine: Engine }> {
  const store = w.schema
    ? await openStore({ databaseUrl: POSTGRES_URL, schema: w.schema, clock: w.clock.now })
    : w.store;
  const parts = await engineOn(store, w.dir, w.clock.now);
  cleanups.push(async () => {
    await parts.queue.close();
    if (store !== w.store) await store.close();
  });
  return parts;
}

async function engineOn(store: Store, dir: string, clock: () => Date) {
  const queue = new LocalQueue(store, { pollIntervalMs: 50 });
  const engine = new Engine({
    store,
    queue,
    events: new InProcessEventBus(),
    executor: scriptedExecutor().executor,
    dataDir: dir,
    workers: 1,
    clock,
    stopGraceMs: 200,
  });
  return { store, engine, queue };
}

async function pgAdmin(query: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

async function projectWithTests(store: Store, names = ['pass home']): Promise<Project> {
  const project = await newProject(store);
  for (const n of names) {
    await store.tests.create(project.id, doc(n, { tags: ['smoke'] }), {
      source: 'api',
      status: 'approved',
    });
  }
  return project;
}

function schedule(extra: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    name: 'nightly',
    cron: '0 6 * * *',
    timezone: 'UTC',
    enabled: true,
    selection: {},
    environment: null,
    baseUrl: null,
    parallelWorkers: null,
    ...extra,
  };
}

function scheduler(w: { store: Store; engine: Engine }, clock: () => Date): Scheduler {
  return new Scheduler({ store: w.store, engine: w.engine, clock, logger: silent });
}

const runsOf = async (store: Store, projectId: string) =>
  (await store.runs.list(projectId, { limit: 100, offset: 0 })).items;

describe.each(dialects)('scheduler on %s', (dialect) => {
  it('fires exactly once at its time, with the schedule as trigger', async () => {
    const w = await openWorld(dialect, '2025-01-15T05:00:00Z');
    const project = await projectWithTests(w.store);
    const s = await w.store.schedules.create(
      project.id,
      schedule({ selection: { tags: ['smoke'] }, baseUrl: 'http://127.0.0.1:9/app' }),
    );
    const sch = scheduler(w, w.clock.now);

    const before = await sch.tick(new Date('2025-01-15T05:59:59.999Z'));
    expect(before.fired).toEqual([]);
    expect(await runsOf(w.store, project.id)).toHaveLength(0);

    const at = await sch.tick(new Date('2025-01-15T06:00:00.000Z'));
    expect(at.fired).toHaveLength(1);
    const [run] = await runsOf(w.store, project.id);
    expect(run?.trigger).toEqual({ source: 'schedule', actor: 'nightly' });
    expect(run?.selection).toEqual({ tags: ['smoke'] });
    expect(run?.baseUrl).toBe('http://127.0.0.1:9/app');

    const after = await sch.tick(new Date('2025-01-15T06:00:40Z'));
    expect(after.fired).toEqual([]);
    expect(await runsOf(w.store, project.id)).toHaveLength(1);
    const stored = await w.store.schedules.get(project.id, s.id);
    expect(stored?.lastFiredAt).toBe('2025-01-15T06:00:00.000Z');
    expect(stored?.lastRunId).toBe(run?.id);
    expect(stored?.lastError).toBeNull();
  });

  it('two schedulers ticking at the same instant start exactly one run', async () => {
    const w = await openWorld(dialect, '2025-01-15T05:00:00Z');
    const project = await projectWithTests(w.store);
    await w.store.schedules.create(project.id, schedule());
    const other = await secondProcess(w);
    // Same store (and, on PostgreSQL, a second store on the same schema: another process).
    const tickers = [scheduler(w, w.clock.now), scheduler(w, w.clock.now)];
    if (other.store !== w.store) tickers.push(scheduler(other, w.clock.now));
    const now = new Date('2025-01-15T06:00:05Z');
    const reports = await Promise.all(tickers.map((t) => t.tick(now)));

    expect(reports.flatMap((r) => r.fired)).toHaveLength(1);
    // A loser either lost the claim (skipped) or, when the winner committed before it read the
    // schedules, no longer saw the firing as due: both are fine, a second run is not.
    expect(reports.flatMap((r) => r.skipped).length).toBeLessThanOrEqual(tickers.length - 1);
    expect(reports.flatMap((r) => r.failed)).toEqual([]);
    const runs = await runsOf(w.store, project.id);
    expect(runs).toHaveLength(1);
    // The losers' transactions were rolled back whole: no stray jobs either.
    const jobs = await w.store.db.selectFrom('jobs').select('run_id').execute();
    expect(new Set(jobs.map((j) => j.run_id))).toEqual(new Set([runs[0]?.id]));
  });

  it('after downtime fires once for all missed occurrences, never a burst', async () => {
    const w = await openWorld(dialect, '2025-01-10T00:00:00Z');
    const project = await projectWithTests(w.store);
    const s = await w.store.schedules.create(project.id, schedule({ cron: '0 * * * *' }));
    // Five days of hourly firings missed; the server comes back at 09:30.
    w.clock.set('2025-01-15T09:30:00Z');
    const sch = scheduler(w, w.clock.now);
    expect((await sch.tick()).fired).toHaveLength(1);
    expect((await sch.tick(new Date('2025-01-15T09:45:00Z'))).fired).toHaveLength(0);
    expect((await w.store.schedules.get(project.id, s.id))?.lastFiredAt).toBe(
      '2025-01-15T09:00:00.000Z',
    );
    expect((await sch.tick(new Date('2025-01-15T10:00:00Z'))).fired).toHaveLength(1);
    expect(await runsOf(w.store, project.id)).toHaveLength(2);
  });
});

describe('scheduler rules (SQLite)', () => {
  it('reads the cron in its time zone: 09:00 Berlin is 08:00Z in winter, 07:00Z in summer', async () => {
    for (const [day, utcHour] of [
      ['2025-01-15', '08'],
      ['2025-07-15', '07'],
    ] as const) {
      const w = await openWorld('sqlite', `${day}T00:00:00Z`);
      const project = await projectWithTests(w.store);
      await w.store.schedules.create(
        project.id,
        schedule({ cron: '0 9 * * *', timezone: 'Europe/Berlin' }),
      );
      const sch = scheduler(w, w.clock.now);
      const earlier = `${day}T${String(Number(utcHour) - 1).padStart(2, '0')}:59:59Z`;
      expect((await sch.tick(new Date(earlier))).fired, `${day} before`).toHaveLength(0);
      const fired = (await sch.tick(new Date(`${day}T${utcHour}:00:00Z`))).fired;
      expect(fired.map((f) => f.fireAt)).toEqual([`${day}T${utcHour}:00:00.000Z`]);
    }
  });

  it('records a selection without approved tests as last_error and keeps firing others', async () => {
    const w = await openWorld('sqlite', '2025-01-15T05:00:00Z');
    const project = await projectWithTests(w.store);
    const broken = await w.store.schedules.create(
      project.id,
      schedule({ name: 'broken', selection: { tags: ['nothing-has-this'] } }),
    );
    const ok = await w.store.schedules.create(project.id, schedule({ name: 'ok' }));
    const sch = scheduler(w, w.clock.now);

    const report = await sch.tick(new Date('2025-01-15T06:00:00Z'));
    expect(report.fired.map((f) => f.scheduleId)).toEqual([ok.id]);
    expect(report.failed.map((f) => f.scheduleId)).toEqual([broken.id]);
    const stored = await w.store.schedules.get(project.id, broken.id);
    expect(stored?.lastError).toMatch(/No approved tests match tag nothing-has-this/);
    expect(stored?.lastRunId).toBeNull();
    // The failed firing is spent: no retry every tick, the next one is tomorrow.
    const again = await sch.tick(new Date('2025-01-15T06:01:00Z'));
    expect(again.failed).toEqual([]);
  });

  it('skips disabled schedules, and re-enabling does not fire what was missed', async () => {
    const w = await openWorld('sqlite', '2025-01-15T05:00:00Z');
    const project = await projectWithTests(w.store);
    const s = await w.store.schedules.create(project.id, schedule({ enabled: false }));
    const sch = scheduler(w, w.clock.now);
    expect((await sch.tick(new Date('2025-01-15T06:00:00Z'))).fired).toHaveLength(0);

    w.clock.set('2025-01-15T07:00:00Z');
    await w.store.schedules.update(project.id, s.id, { enabled: true });
    expect((await sch.tick(new Date('2025-01-15T07:00:30Z'))).fired).toHaveLength(0);
    expect((await sch.tick(new Date('2025-01-16T06:00:00Z'))).fired).toHaveLength(1);
  });

  it('start() catches up at once and the engine runs the scheduled run to its verdict', async () => {
    const w = await openWorld('sqlite', '2025-01-15T05:00:00Z');
    const project = await projectWithTests(w.store, ['pass one', 'pass two']);
    const s = await w.store.schedules.create(project.id, schedule());
    w.clock.set('2025-01-15T06:10:00Z');
    await w.engine.start();
    cleanups.push(() => w.engine.stop());
    const sch = scheduler(w, w.clock.now);
    sch.start();
    cleanups.push(() => sch.stop());

    let runId: string | null = null;
    for (let i = 0; i < 400 && !runId; i++) {
      runId = (await w.store.schedules.get(project.id, s.id))?.lastRunId ?? null;
      if (!runId) await new Promise((r) => setTimeout(r, 25));
    }
    expect(runId).not.toBeNull();
    const run = await w.engine.waitForRun(runId ?? '', { timeoutMs: 20_000 });
    expect(run.status).toBe('passed');
    expect(run.total).toBe(2);
  });
});
