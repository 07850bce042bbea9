import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { isTerminal, type Run } from '../../src/domain/run.ts';
import { Engine } from '../../src/engine/engine.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { startStaticServer } from '../helpers/static-server.ts';
import { until } from '../helpers/until.ts';

/** How long any one wait may take on a loaded machine before the test fails saying what. */
const WAIT_MS = 90_000;

// `greenlight worker` on SIGTERM: stops claiming, lets running tests finish for the grace
// period, hands back the rest (another process runs them), exits 0; a second signal exits now.
let dir: string;
let site: Awaited<ReturnType<typeof startStaticServer>>;
let store: Store;
let queuer: Engine;
let projectId: string;
const tests = new Map<string, string>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-drain-'));
  site = await startStaticServer(join(import.meta.dirname, '..', 'fixtures', 'runner'));
  const env = { GREENLIGHT_DATA_DIR: dir };
  expect((await runCli(['project', 'create', 'Slow', '--base-url', site.url], env)).code).toBe(0);
  const folder = join(dir, 'tests');
  mkdirSync(folder);
  const doc = (name: string, waitMs: number): string =>
    [
      `- name: ${name}`,
      '  status: approved',
      '  steps:',
      // The page's query names the test, so the site tells when a browser has reached it.
      `    - goto: /?t=${name.replace(' ', '-')}`,
      `    - wait: ${waitMs}`,
      '    - expect: { visible: { css: body } }',
    ].join('\n');
  const docs = [
    doc('Slow 1', 1500),
    doc('Slow 2', 1500),
    doc('Slow 3', 1500),
    doc('Long', 3000),
    doc('Hold', 60000),
    doc('Serve', 3000),
  ];
  writeFileSync(join(folder, 'slow.yaml'), `${docs.join('\n')}\n`);
  expect((await runCli(['import', 'slow', folder], env)).code).toBe(0);
  store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
  const project = (await store.projects.get('slow'))!;
  projectId = project.id;
  for (const t of (await store.tests.list(project.id, { limit: 10, offset: 0 })).items)
    tests.set(t.name, t.id);
  // Queues runs on the workers' database without executing any (never started).
  queuer = new Engine({
    store,
    queue: new LocalQueue(store),
    events: new InProcessEventBus(),
    executor: scriptedExecutor().executor,
    dataDir: dir,
    workers: 1,
  });
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('close', r));
    c.kill('SIGKILL');
    await exited;
  }
});

afterAll(async () => {
  await store?.close();
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Worker {
  child: ChildProcess;
  stderr(): string;
}

/** `greenlight worker` (or `serve`) on the data dir; resolves once it takes jobs. */
async function startWorker(
  env: Record<string, string>,
  args = ['worker'],
  ready = 'taking jobs',
): Promise<Worker> {
  const child = startCli(args, { GREENLIGHT_DATA_DIR: dir, ...env });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // An exit ends the wait at once (the probe's value), and fails it saying why.
  const started = await until(
    `\`greenlight ${args[0]}\` to start`,
    () => (child.exitCode !== null ? 'exited' : out.includes(ready) && 'ready'),
    { timeoutMs: WAIT_MS },
  );
  if (started === 'exited') throw new Error(`it exited (${child.exitCode}): ${err}`);
  return { child, stderr: () => err };
}

/** The process's exit code (or the signal that ended it), once it exited. */
const exitOf = (w: Worker) =>
  until(
    'the process to exit',
    () => (w.child.exitCode ?? w.child.signalCode ?? undefined) as number | string | undefined,
    { timeoutMs: WAIT_MS },
  );

const runOf = (names: string[]): Promise<Run> =>
  queuer.createRun(projectId, {
    trigger: { source: 'test' },
    selection: { testIds: names.map((n) => tests.get(n)!) },
    parallelWorkers: 1,
  });

const running = (runId: string) =>
  until(
    'a running test',
    async () => {
      const jobs = await store.jobs.listByRun(runId);
      return jobs.some((j) => j.status === 'running') && jobs;
    },
    { timeoutMs: WAIT_MS },
  );

const finished = (runId: string) =>
  until(
    'the run to finish',
    async () => {
      const r = await store.runs.get(projectId, runId);
      return r && isTerminal(r.status) && r;
    },
    { timeoutMs: WAIT_MS },
  );

it('lets the running test finish, hands back the queued ones and exits 0', async () => {
  const run = await runOf(['Slow 1', 'Slow 2', 'Slow 3']);
  const first = await startWorker({ GREENLIGHT_WORKERS: '1', GREENLIGHT_STOP_GRACE_MS: '60000' });
  // A browser is on a test's page: the signal comes mid-test.
  await site.waitForRequest('/?t=Slow-', WAIT_MS);
  first.child.kill('SIGTERM');
  expect(await exitOf(first)).toBe(0);

  // What the first worker had started, it finished; it took nothing after the signal.
  const mine = await store.results.listByRun(run.id);
  expect(mine.length).toBeGreaterThanOrEqual(1);
  expect(mine.every((r) => r.status === 'passed' && r.attempt === 1)).toBe(true);
  const jobs = await store.jobs.listByRun(run.id);
  const left = jobs.filter((j) => j.status !== 'done');
  expect(left.length + mine.length).toBe(3);
  expect(left.every((j) => j.status === 'queued' && j.attempt === 1 && !j.lockedBy)).toBe(true);

  // Another process runs the rest; nothing runs twice.
  const second = await startWorker({});
  const done = await finished(run.id);
  expect(done).toMatchObject({ status: 'passed', total: 3, passed: 3 });
  const results = await store.results.listByRun(run.id);
  expect(results).toHaveLength(3);
  expect(new Set(results.map((r) => r.testId)).size).toBe(3);
  expect(results.every((r) => r.attempt === 1)).toBe(true);
  for (const earlier of mine) expect(results.find((r) => r.id === earlier.id)).toEqual(earlier);
  second.child.kill('SIGTERM');
  expect(await exitOf(second)).toBe(0);
}, 300_000);

it('hands back a test still running when the grace period ends, as the same attempt', async () => {
  const run = await runOf(['Long']);
  const first = await startWorker({ GREENLIGHT_STOP_GRACE_MS: '200' });
  await running(run.id);
  first.child.kill('SIGTERM');
  expect(await exitOf(first)).toBe(0);
  expect(await store.results.listByRun(run.id)).toHaveLength(0);
  const [job] = await store.jobs.listByRun(run.id);
  expect(job).toMatchObject({ status: 'queued', attempt: 1, lockedBy: null });

  const second = await startWorker({});
  const done = await finished(run.id);
  expect(done).toMatchObject({ status: 'passed', total: 1, passed: 1 });
  const [result] = await store.results.listByRun(run.id);
  expect(result).toMatchObject({ testId: tests.get('Long'), status: 'passed', attempt: 1 });
  second.child.kill('SIGTERM');
  expect(await exitOf(second)).toBe(0);
}, 300_000);

it('exits at once on a second signal', async () => {
  // A test that outlasts the whole case: only the second signal can end the process early.
  const run = await runOf(['Hold']);
  const w = await startWorker({ GREENLIGHT_STOP_GRACE_MS: '60000' });
  await running(run.id);
  w.child.kill('SIGTERM');
  await until('the drain to start', () => w.stderr().includes('shutting down'), {
    timeoutMs: WAIT_MS,
  });
  w.child.kill('SIGTERM');
  // 143 = 128 + SIGTERM: not the 0 of a drain that waited for the test.
  expect(await exitOf(w)).toBe(143);
  const [job] = await store.jobs.listByRun(run.id);
  // Left to the lease: the next process takes it over from the dead holder.
  expect(job?.status).toBe('running');
  expect(await store.results.listByRun(run.id)).toHaveLength(0);
  // Nobody is to run its minute-long test again.
  await queuer.cancelRun(projectId, run.id);
}, 300_000);

it('drains `greenlight serve` the same way', async () => {
  const run = await runOf(['Serve']);
  const args = ['serve', '--no-demo', '--port', '0'];
  const server = await startWorker({ GREENLIGHT_STOP_GRACE_MS: '60000' }, args, 'listening');
  await site.waitForRequest('/?t=Serve', WAIT_MS);
  server.child.kill('SIGTERM');
  expect(await exitOf(server)).toBe(0);
  const done = await finished(run.id);
  expect(done).toMatchObject({ status: 'passed', total: 1, passed: 1 });
  const [result] = await store.results.listByRun(run.id);
  expect(result).toMatchObject({ status: 'passed', attempt: 1, error: null });
}, 300_000);
