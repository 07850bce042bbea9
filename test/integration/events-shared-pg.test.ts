import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/event-bus.ts';
import { SharedEventBus } from '../../src/events/shared-event-bus.ts';
import { PgBroadcast } from '../../src/store/pg-broadcast.ts';
import {
  addTests,
  newProject,
  openTestStore,
  POSTGRES_URL,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { openSharedBus } from '../helpers/shared-bus.ts';
import { startTestApi } from '../helpers/test-api.ts';
import { until } from '../helpers/until.ts';
import { createAdmin } from './auth-helpers.ts';

const childScript = join(import.meta.dirname, '../fixtures/engine/pg-events-child.ts');
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** How long any one wait may take on a loaded machine before the test fails saying what. */
const WAIT_MS = 90_000;

/** Lines the other process printed, and a way to wait for one. */
interface Child {
  lines: Record<string, unknown>[];
  waitFor(what: string, pred: (l: Record<string, unknown>) => boolean): Promise<unknown>;
}

/** Another process on the same schema (pg-events-child.ts); resolves once it listens. */
async function otherProcess(t: TestStore): Promise<Child> {
  const child: ChildProcess = spawn(
    process.execPath,
    [childScript, t.databaseUrl, t.schema!, t.dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const out: Child = {
    lines,
    async waitFor(what, pred) {
      try {
        return await until(what, () => lines.find(pred), { timeoutMs: WAIT_MS });
      } catch (e) {
        const exit = child.exitCode ?? child.signalCode;
        throw new Error(`${(e as Error).message}; the other process (exit ${exit}): ${stderr}`, {
          cause: e,
        });
      }
    },
  };
  await out.waitFor('the other process to listen', (l) => l.ready === true);
  return out;
}

/** An API process (engine not executing) on the store, its events on the shared bus. */
async function apiProcess(t: TestStore) {
  const bus = await openSharedBus(t.databaseUrl, t.schema!);
  cleanups.push(() => bus.close());
  // Not started: every job of the run is executed by the other process.
  const api = await startTestApi({
    store: t,
    events: bus.events,
    streamChannel: bus.streamChannel,
    startEngine: false,
    workers: 1,
  });
  cleanups.push(() => api.close());
  const admin = await createAdmin(t.store);
  const { url, engine, events } = api;
  return { url, engine, events, auth: { authorization: `Bearer ${admin.apiKey}` } };
}

/** An SSE stream read in the background; every message lands in `seen`. */
async function openStream(url: string, headers: Record<string, string>) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers, signal: ctl.signal });
  expect(res.status).toBe(200);
  cleanups.push(async () => ctl.abort());
  const sse = sseReader(res, { skip: (m) => m.comment !== undefined });
  const seen: SseMessage[] = [];
  void (async () => {
    for (let m = await sse.next(); m; m = await sse.next()) seen.push(m);
  })().catch(() => undefined); // aborted at cleanup
  return {
    seen,
    /** The first message that matches, once it arrived. */
    until: (what: string, pred: (m: SseMessage) => boolean) =>
      until(`${what} on the stream`, () => seen.find(pred), { timeoutMs: WAIT_MS }),
  };
}

describe('run events across processes on one PostgreSQL schema', () => {
  it("an SSE client on one process sees another's tests; a cancel there aborts them", async () => {
    const t = await openTestStore('postgres');
    cleanups.push(() => t.dispose());
    const api = await apiProcess(t);
    const p = await newProject(t.store, 2);
    const [passing, blocking] = await addTests(t.store, p, ['pass one', 'block two']);
    // Queued here (nothing executes on this process), followed, and only then the other
    // process starts: every event of the run is one it sends.
    const run = await api.engine.createRun(p.id, { trigger: { source: 'test' } });
    const stream = await openStream(`${api.url}/api/v1/runs/${run.id}/events`, api.auth);
    await stream.until('the first snapshot', (m) => m.event === 'snapshot');
    const worker = await otherProcess(t);
    // test.finished of a test the other process executed: written to the run's log there,
    // announced by NOTIFY (run and id), read here by RunStream and sent.
    const result = await stream.until(
      "the passing test's result",
      (m) => m.event === 'result' && m.data?.testId === passing!.id,
    );
    expect(result.data).toMatchObject({ testId: passing!.id, status: 'passed', attempt: 1 });
    await worker.waitFor('the blocking test to start', (l) => l.started === blocking!.id);
    await stream.until(
      "the blocking test's start",
      (m) => m.event === 'log' && m.data?.testId === blocking!.id,
    );

    // Cancel on this process: the test blocking on the other one is aborted there.
    const res = await fetch(`${api.url}/api/v1/runs/${run.id}/abort`, {
      method: 'POST',
      headers: { ...api.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'enough' }),
    });
    expect(res.status).toBe(200);
    await worker.waitFor('the blocking test to be aborted', (l) => l.aborted === blocking!.id);
    const done = await stream.until('done', (m) => m.event === 'done');
    // The seed-001 shape: a cancelled run is `aborted` there.
    expect(done.data).toMatchObject({ runId: run.id, status: 'aborted', passed: 1 });
    expect((await t.store.runs.get(p.id, run.id))?.status).toBe('cancelled');
    const results = await t.store.results.listByRun(run.id);
    expect(results.map((r) => r.testId)).toEqual([passing!.id]);
    // The aborted job is dropped, not left running nor recorded: the other process discards it
    // once its aborted test returns, which may come just after the run's end.
    await until('the aborted job to be discarded', async () => {
      const jobs = await t.store.jobs.listByRun(run.id);
      return jobs.find((j) => j.testId === blocking!.id)?.status !== 'running';
    });
    expect((await t.store.results.listByRun(run.id)).map((r) => r.testId)).toEqual([passing!.id]);
  }, 240_000);

  it('hears the events of its own schema only, and marks them remote', async () => {
    const a = await openTestStore('postgres');
    cleanups.push(() => a.dispose());
    const other = `gl_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create schema ${other}`);
    cleanups.push(async () => {
      await admin.query(`drop schema ${other} cascade`);
      await admin.end();
    });
    const open = async (schema: string) => {
      const broadcast = await PgBroadcast.open({
        databaseUrl: a.databaseUrl,
        schema,
        channels: ['events'],
      });
      cleanups.push(() => broadcast.close());
      const b = broadcast.channel('events');
      const bus = new SharedEventBus(b);
      const heard: RunEvent[] = [];
      bus.subscribe('*', (e) => heard.push(e));
      return { broadcast, b, bus, heard };
    };
    const sender = await open(a.schema!);
    const sameSchema = await open(a.schema!);
    const otherSender = await open(other);
    const otherSchema = await open(other);
    expect(sender.b.name).toBe(`greenlight_events:${a.schema}`);
    expect(otherSchema.b.name).toBe(`greenlight_events:${other}`);

    const base = { runId: 'r1', projectId: 'p1', at: new Date().toISOString() } as const;
    // An error far over NOTIFY's 8000 bytes still goes out, cut. A test's events stay here:
    // other processes follow tests through the run's stream log.
    const long = 'x'.repeat(20_000);
    sender.bus.publish({ ...base, type: 'run.queued' });
    sender.bus.publish({ ...base, type: 'test.started', testId: 't1' });
    sender.bus.publish({ ...base, type: 'test.finished', testId: 't1', error: 'no' });
    sender.bus.publish({ ...base, type: 'run.finished', status: 'error', error: long });
    await sender.broadcast.flush();
    // Sent after the first schema's events were committed: PostgreSQL hands notifications out
    // in commit order, so had those been on this channel, they would arrive before this one.
    otherSender.bus.publish({ ...base, runId: 'r2', type: 'run.started' });
    await until(
      'the notifications on both channels',
      () => sameSchema.heard.length === 2 && otherSchema.heard.length === 1,
      { timeoutMs: WAIT_MS },
    );

    expect(sameSchema.heard.map((e) => [e.type, e.remote])).toEqual([
      ['run.queued', true],
      ['run.finished', true],
    ]);
    expect(sameSchema.heard[1]!.error).toMatch(/^x{2000}…$/);
    // The publisher got its own events once, at once and whole, not their echo.
    expect(sender.heard.map((e) => e.type)).toEqual([
      'run.queued',
      'test.started',
      'test.finished',
      'run.finished',
    ]);
    expect(sender.heard[3]!.error).toBe(long);
    expect(sender.heard[3]!.remote).toBeUndefined();
    expect(otherSchema.heard.map((e) => [e.runId, e.type, e.remote])).toEqual([
      ['r2', 'run.started', true],
    ]);
  }, 180_000);
});
