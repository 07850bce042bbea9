import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { until } from '../helpers/until.ts';

const childScript = join(import.meta.dirname, '../fixtures/engine/restart-child.ts');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Poll a condition on a bounded budget (the child is another process: no event to wait on). */
describe('engine restart', () => {
  it('finishes a run after the server is killed mid-run, keeping every recorded result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, 'greenlight.db');

    const child = spawn(process.execPath, [childScript, dbPath, dir, '300'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    const lines = createInterface({ input: child.stdout });
    const first = await Promise.race([
      new Promise<string>((r) => lines.once('line', r)),
      exited.then(() => {
        throw new Error(`child exited early: ${stderr}`);
      }),
    ]);
    const { runId } = JSON.parse(first) as { runId: string; projectId: string };

    // Read the child's database from outside, as the test's own eyes.
    const peek = new SqliteDatabase(dbPath, { readonly: true });
    cleanups.push(() => {
      peek.close();
    });
    const countResults = peek.prepare('select count(*) as n from results where run_id = ?');
    await until('two results', () => {
      const { n } = countResults.get(runId) as { n: number };
      return n >= 2 ? n : undefined;
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const beforeResults = peek
      .prepare('select * from results where run_id = ? order by test_id')
      .all(runId) as { id: string; test_id: string }[];
    const runningAtKill = (
      peek
        .prepare(`select test_id from jobs where run_id = ? and status = 'running'`)
        .all(runId) as { test_id: string }[]
    ).map((r) => r.test_id);
    const statusAtKill = (
      peek.prepare('select status from runs where id = ?').get(runId) as {
        status: string;
      }
    ).status;
    expect(statusAtKill).toBe('running');
    expect(beforeResults.length).toBeGreaterThanOrEqual(2);
    expect(beforeResults.length).toBeLessThan(6);

    // Start again in this process on the same file.
    const store: Store = await openStore({ databaseUrl: `sqlite:${dbPath}` });
    const x = scriptedExecutor();
    const engine = new Engine({
      store,
      queue: new LocalQueue(store),
      events: new InProcessEventBus(),
      executor: x.executor,
      dataDir: dir,
      workers: 1,
    });
    cleanups.push(async () => {
      await engine.stop();
      await store.close();
    });
    await engine.start();
    const run = await engine.waitForRun(runId, { timeoutMs: 30_000 });

    expect(run).toMatchObject({ status: 'passed', total: 6, passed: 6, errored: 0 });
    const after = await store.results.listByRun(runId);
    expect(after).toHaveLength(6);
    expect(new Set(after.map((r) => r.testId)).size).toBe(6);
    expect(new Set(run.testIds)).toEqual(new Set(after.map((r) => r.testId)));
    // The results written before the kill are the same rows, untouched.
    const afterRows = peek
      .prepare('select * from results where run_id = ? order by test_id')
      .all(runId) as { id: string; test_id: string }[];
    for (const row of beforeResults) {
      expect(afterRows.find((r) => r.id === row.id)).toEqual(row);
    }
    // Only the unfinished tests ran again; the one cut off by the kill is a second attempt.
    const rerun = x.calls.map((c) => c.test.id).sort();
    const done = new Set(beforeResults.map((r) => r.test_id));
    expect(rerun).toEqual(run.testIds.filter((id) => !done.has(id)).sort());
    for (const testId of runningAtKill) {
      expect(after.find((r) => r.testId === testId)?.attempt).toBe(2);
    }
    expect(
      x.calls.filter((c) => runningAtKill.includes(c.test.id)).every((c) => c.attempt === 2),
    ).toBe(true);
  });
});
