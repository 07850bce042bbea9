import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/run.ts';
import type { Project } from '../../src/domain/project.ts';
import type { TestResult } from '../../src/domain/run.ts';
import {
  addTests,
  dialects,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';
import { random, reliabilitySeed, trials } from './reliability-env.ts';

// kill -9 of the process running a run, at random moments, then a restart on the same database:
// the run finishes with exactly one result per test (none lost, none doubled), and the results
// recorded before the kill are kept as they were. The process is a real engine, queue and store
// (test/fixtures/engine/shared-db-child.ts) whose executor stands in for the browser, so a trial
// costs two process starts. N trials per dialect: 3, or 20 with GREENLIGHT_RELIABILITY_FULL=1.

const childScript = join(import.meta.dirname, '../fixtures/engine/shared-db-child.ts');
const TESTS = 8;
const seed = reliabilitySeed();
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  runId: string | null;
  exited: Promise<NodeJS.Signals | null>;
}

/** Start a Greenlight process on the store; it queues a run of `queue` tests (0: only recovers). */
async function start(t: TestStore, project: Project, queue: number): Promise<Started> {
  const args = [t.databaseUrl, t.schema ?? '-', t.dir, project.id, String(queue)];
  const child = spawn(process.execPath, [childScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
  const lines = createInterface({ input: child.stdout });
  const runId = await new Promise<string | null>((resolve, reject) => {
    void exited.then(() => reject(new Error(`the process exited early: ${stderr}`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { runId?: string | null };
      if ('runId' in msg) resolve(msg.runId ?? null);
    });
  });
  return { child, runId, exited };
}

/** Poll the database (the process is another one: no event reaches this one) on a budget. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

describe.each(dialects)('kill -9 mid-run and restart on %s', (dialect) => {
  let t: TestStore;
  let project: Project;

  beforeAll(async () => {
    t = await openTestStore(dialect);
    project = await newProject(t.store, 2);
    await addTests(
      t.store,
      project,
      Array.from({ length: TESTS }, (_, i) => `pass ${i + 1}`),
    );
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it(
    `loses and doubles no result over ${trials()} kills at random moments`,
    async () => {
      const rnd = random(seed + dialects.indexOf(dialect));
      for (let trial = 0; trial < trials(); trial++) {
        const first = await start(t, project, TESTS);
        const runId = first.runId!;
        // A random moment: after k results (0 … all but one), then up to 50 ms more.
        const k = Math.floor(rnd() * TESTS);
        await until(`${k} results`, async () =>
          (await t.store.results.listByRun(runId)).length >= k ? true : undefined,
        );
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 50)));
        first.child.kill('SIGKILL');
        expect(await first.exited).toBe('SIGKILL');
        const before = await t.store.results.listByRun(runId);

        const second = await start(t, project, 0);
        const run = await until('the run to finish', async () => {
          const r = await t.store.runs.get(project.id, runId);
          return r && isTerminal(r.status) ? r : undefined;
        });
        second.child.kill('SIGTERM');
        await second.exited;

        const context = `trial ${trial + 1} (seed ${seed}, killed after ${before.length} results)`;
        const after = await t.store.results.listByRun(runId);
        expect(run.status, context).toBe('passed');
        expect(run, context).toMatchObject({ total: TESTS, passed: TESTS, failed: 0, errored: 0 });
        expect(after, context).toHaveLength(TESTS);
        expect(new Set(after.map((r) => r.testId)), context).toEqual(new Set(run.testIds));
        for (const earlier of before) {
          expect(
            after.find((r: TestResult) => r.id === earlier.id),
            context,
          ).toEqual(earlier);
        }
      }
      // Each trial starts two processes: about 5 s on a busy 2-core machine.
    },
    30_000 + trials() * 20_000,
  );
});
