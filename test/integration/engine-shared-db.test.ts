import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/connect.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines, type EngineHarness } from '../helpers/engine-harness.ts';
import { until } from '../helpers/until.ts';

const childScript = join(import.meta.dirname, '../fixtures/engine/shared-db-child.ts');
const trigger = { source: 'test' };
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
  await stopEngines();
});

interface Child {
  runId: string | null;
  /** Test ids the other process executed so far. */
  executed: string[];
}

/** Another Greenlight process on the harness's database; resolves once it started. */
async function otherProcess(h: EngineHarness, projectId: string, queue: number): Promise<Child> {
  const args = [h.t.databaseUrl, h.t.schema ?? '-', h.t.dir, projectId, String(queue)];
  const child = spawn(process.execPath, [childScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const out: Child = { runId: null, executed: [] };
  const lines = createInterface({ input: child.stdout });
  return new Promise<Child>((resolve, reject) => {
    child.once('exit', () => reject(new Error(`the other process exited: ${stderr}`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { runId?: string | null; testId?: string };
      if (msg.testId) out.executed.push(msg.testId);
      if ('runId' in msg) {
        out.runId = msg.runId ?? null;
        resolve(out);
      }
    });
  });
}

async function jobsOf(store: Store, runId: string) {
  return store.jobs.listByRun(runId);
}

describe.each(dialects)('two processes on one %s database', (dialect) => {
  it('share the runs of both, losing and doubling nothing', async () => {
    const x = scriptedExecutor({ delayMs: 40 });
    const h = await startEngine(dialect, x.executor, { workers: 2 });
    const p = await newProject(h.store, 4);
    const names = Array.from({ length: 16 }, (_, i) => `pass ${i + 1}`);
    await addTests(h.store, p, names);
    // Ours starts first and is busy when the other process starts and runs its recovery.
    const ours = await h.engine.createRun(p.id, { trigger });
    await new Promise<void>((resolve) => {
      const off = h.events.subscribe(ours.id, (e) => {
        if (e.type === 'test.started') {
          off();
          resolve();
        }
      });
    });
    const other = await otherProcess(h, p.id, 16);
    const theirs = other.runId!;

    const [a, b] = await Promise.all([
      h.engine.waitForRun(ours.id, { pollMs: 50 }),
      h.engine.waitForRun(theirs, { pollMs: 50 }),
    ]);
    for (const run of [a, b]) {
      expect(run).toMatchObject({ status: 'passed', total: 16, passed: 16, errored: 0 });
      const results = await h.store.results.listByRun(run.id);
      expect(results.map((r) => r.testId).sort()).toEqual([...run.testIds].sort());
      // Nothing was taken from a live holder and run twice.
      expect((await jobsOf(h.store, run.id)).every((j) => j.attempt === 1)).toBe(true);
      expect(results.every((r) => r.attempt === 1)).toBe(true);
    }
    // The other process reports what it executed on its stdout, which may still be on its way
    // when the runs end in the database.
    await until('both processes to report their tests', () =>
      x.calls.length + other.executed.length >= 32 ? true : undefined,
    );
    expect(x.calls.length + other.executed.length).toBe(32);
    expect(x.calls.length).toBeGreaterThan(0);
    expect(other.executed.length).toBeGreaterThan(0);
  }, 60_000);

  it('a run whose jobs another process executes still ends with its verdict here', async () => {
    // Like `greenlight run` beside `greenlight serve`: the server may take the CLI run's jobs;
    // the CLI follows the run through the database and ends with its verdict.
    const x = scriptedExecutor();
    const h = await startEngine(dialect, x.executor, { start: false });
    const p = await newProject(h.store, 2);
    await addTests(h.store, p, ['pass one', 'fail two', 'pass three']);
    const other = await otherProcess(h, p.id, 0);
    const run = await h.engine.createRun(p.id, { trigger });
    const done = await h.engine.waitForRun(run.id, { pollMs: 50 });
    expect(done).toMatchObject({ status: 'failed', passed: 2, failed: 1 });
    expect(x.calls).toHaveLength(0);
    expect(other.executed).toHaveLength(3);
  }, 60_000);
});
