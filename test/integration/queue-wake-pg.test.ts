import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/event-bus.ts';
import { SharedEventBus } from '../../src/events/shared-event-bus.ts';
import type { Job } from '../../src/queue/job-queue.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { Store } from '../../src/store/connect.ts';
import { PgBroadcast } from '../../src/store/pg-broadcast.ts';
import { newProject, openTestStore, POSTGRES_URL } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { until } from '../helpers/until.ts';

// Two queues on one PostgreSQL schema stand for two processes, each wired as the runtime wires
// one: a single LISTEN connection carrying run events and job wake-ups. Their poll interval is
// an hour: a claim that resolves was woken by a NOTIFY.
const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One process's queue and event bus over one LISTEN connection, named `app` in PostgreSQL. */
interface Instance {
  app: string;
  queue: LocalQueue;
  events: SharedEventBus;
  /** Events heard from other processes. */
  heard: RunEvent[];
  /** What the connection reported (a drop, a failed send). */
  errors: unknown[];
}

async function setUp() {
  const t = await openTestStore('postgres');
  cleanups.push(() => t.dispose());
  const open = async (): Promise<Instance> => {
    const app = `greenlight listen test ${randomBytes(4).toString('hex')}`;
    const errors: unknown[] = [];
    const broadcast = await PgBroadcast.open({
      databaseUrl: t.databaseUrl,
      schema: t.schema!,
      channels: ['events', 'jobs'],
      applicationName: app,
      onError: (err) => errors.push(err),
    });
    const queue = new LocalQueue(t.store, {
      pollIntervalMs: HOUR,
      wakeChannel: broadcast.channel('jobs'),
    });
    const events = new SharedEventBus(broadcast.channel('events'));
    const heard: RunEvent[] = [];
    events.subscribe('*', (e) => void (e.remote && heard.push(e)));
    cleanups.push(async () => {
      await queue.close();
      await broadcast.close();
    });
    return { app, queue, events, heard, errors };
  };
  return { store: t.store, schema: t.schema!, a: await open(), b: await open() };
}

async function queuedRun(store: Store, queue: LocalQueue, n: number, parallelWorkers: number) {
  const p = await newProject(store);
  const testIds = Array.from({ length: n }, (_, i) => `t${i}`);
  const run = makeRun(p.id, testIds, { baseUrl: 'http://x', parallelWorkers });
  await store.transaction(async (tx) => {
    await tx.runs.create(run);
    await queue.enqueue(run, testIds, { tx });
  });
  return run;
}

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

/** Until the queue's claimer has looked, found nothing it may take, and gone to sleep. */
const asleep = (q: LocalQueue) => until('the claimer to sleep', () => q.idleClaimers > 0);

describe('LocalQueue wake-ups across processes (PostgreSQL LISTEN/NOTIFY)', () => {
  it("wakes another process's idle claimer when a job is queued", async () => {
    const {
      store,
      a: { queue: a },
      b: { queue: b },
    } = await setUp();
    // B is asleep before the job exists; only A's announcement can wake it within the hour.
    const claimed = b.claim('w1', signal());
    await asleep(b);
    const run = await queuedRun(store, a, 1, 1);
    const job = await claimed;
    expect(job).toMatchObject({ runId: run.id, testId: 't0', status: 'running' });
    expect(job?.lockedBy?.startsWith(b.id)).toBe(true);
  }, 90_000);

  it('wakes another process when a finished or handed-back job frees a slot of the run', async () => {
    const {
      store,
      a: { queue: a },
      b: { queue: b },
    } = await setUp();
    const run = await queuedRun(store, a, 3, 1);
    const first = await a.claim('w1', signal());
    expect(first?.testId).toBe('t0');
    // The run allows one running job: B waits for A's to end.
    let second: Job | null | undefined;
    const waiting = b.claim('w1', signal()).then((j) => (second = j));
    await asleep(b);
    expect(second).toBeUndefined();
    expect(await a.complete(first!, makeResult(run.id, first!.testId))).toBe(true);
    await waiting;
    expect(second).toMatchObject({ testId: 't1', status: 'running' });

    // A worker that stops hands its job back: the other process takes it without waiting.
    const retaken = a.claim('w2', signal());
    await asleep(a);
    expect(await b.release(second!)).toBe(true);
    expect(await retaken).toMatchObject({ testId: 't1', attempt: 1, status: 'running' });
  }, 90_000);
});

/** The backends PostgreSQL holds for `app`: its pid, state and last statement. */
async function backends(app: string) {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number; state: string; query: string }>(
      'select pid, state, query from pg_stat_activity where application_name = $1',
      [app],
    );
    return rows;
  } finally {
    await admin.end();
  }
}

async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

describe('one LISTEN connection per process (PostgreSQL)', () => {
  /** A run event from `from` reaches `to`, and a job `from` queues wakes `to`'s idle claimer. */
  async function bothCross(store: Store, from: Instance, to: Instance): Promise<void> {
    const runId = `r-${randomBytes(4).toString('hex')}`;
    from.events.publish({
      type: 'run.started',
      runId,
      projectId: 'p1',
      at: new Date().toISOString(),
    });
    const claimed = to.queue.claim('w1', signal());
    await asleep(to.queue);
    const run = await queuedRun(store, from.queue, 1, 1);
    expect(await claimed).toMatchObject({ runId: run.id, status: 'running' });
    await until('the event on the other process', () => to.heard.some((e) => e.runId === runId));
  }

  it('carries both run events and job wake-ups, and listens on both again after it is killed', async () => {
    const { store, schema, a, b } = await setUp();
    const [before] = await backends(b.app);
    // One connection each, listening on both channels in one statement.
    expect(await backends(a.app)).toHaveLength(1);
    expect(await backends(b.app)).toHaveLength(1);
    const listen = `listen "greenlight_events:${schema}"; listen "greenlight_jobs:${schema}"`;
    expect(before).toMatchObject({ state: 'idle', query: listen });
    await bothCross(store, a, b);
    await bothCross(store, b, a);

    // Killed by the server: B reports it, opens one new connection and listens on both again.
    await terminate(before!.pid);
    await until('B to report the dropped connection', () => b.errors.length > 0);
    expect(String(b.errors[0])).toMatch(/terminating connection due to administrator command/);
    // The new connection is idle between its schema lookup and its LISTEN: wait for the LISTEN.
    const after = await until('B to listen again', async () => {
      const rows = await backends(b.app);
      const [row] = rows;
      return (
        rows.length === 1 &&
        row!.pid !== before!.pid &&
        row!.state === 'idle' &&
        row!.query === listen &&
        row
      );
    });
    expect(after).toMatchObject({ query: listen });
    await bothCross(store, a, b);
    await bothCross(store, b, a);
    expect(await backends(b.app)).toHaveLength(1);
    expect(a.errors).toEqual([]);
  }, 120_000);
});
