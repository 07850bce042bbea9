import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/run.ts';
import { openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { seedSuite, startInCluster, testCluster, type ClusterProcess } from '../helpers/cluster.ts';
import { runCli } from '../helpers/cli.ts';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { until } from '../helpers/until.ts';
import { createAdmin } from './auth-helpers.ts';

// Issue 13's "done means": one PostgreSQL, two `greenlight serve` processes that execute nothing
// (GREENLIGHT_WORKERS=0) and three `greenlight worker` processes, all real CLI processes. A run of
// 60 browser tests is started on the first server and followed over SSE on the second; one
// worker is killed with SIGKILL while it runs a test. Every test still ends with exactly one
// result, and the second server's stream carries every test's result and the run's end.

const TESTS = 60;
/** How long any one wait may take on a loaded machine before the test fails saying what. */
const WAIT_MS = 200_000;

let t: TestStore;
let site: StaticServer;
let dataDir: string;
const procs: ClusterProcess[] = [];

beforeAll(async () => {
  t = await openTestStore('postgres');
  site = await startStaticServer(join(import.meta.dirname, '..', 'fixtures', 'runner'));
  dataDir = mkdtempSync(join(tmpdir(), 'gl-scale-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await site?.close();
  await t?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function start(kind: 'serve' | 'worker', env: Record<string, string> = {}) {
  return startInCluster(kind, testCluster(t, dataDir), { env, procs, timeoutMs: WAIT_MS });
}

it('runs 60 tests on three workers, survives a SIGKILL of one, and streams every event from a second server', async () => {
  // Every tenth test holds its page for 4 s, so the worker killed below is surely inside one (a
  // short test could end between finding it running and the kill).
  const { projectId, testIds, slowIds } = await seedSuite(t.store, site.url, TESTS, {
    every: 10,
    ms: 4_000,
  });
  const admin = await createAdmin(t.store);
  const auth = { authorization: `Bearer ${admin.apiKey}` };
  const [first, second] = await Promise.all([
    start('serve', { GREENLIGHT_WORKERS: '0' }),
    start('serve', { GREENLIGHT_WORKERS: '0' }),
  ]);

  // Queued on the first server; nothing executes it yet (neither server runs tests).
  const created = await fetch(`${first.url}/api/v1/projects/${projectId}/runs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ parallelWorkers: 3 }),
  });
  expect(created.status).toBe(202);
  const runId = ((await created.json()) as { id: string }).id;

  // Followed on the second server from before the first test starts.
  const ctl = new AbortController();
  const res = await fetch(`${second.url}/api/v1/projects/${projectId}/runs/${runId}/events`, {
    headers: auth,
    signal: ctl.signal,
  });
  expect(res.status).toBe(200);
  const sse = sseReader(res, { skip: (m) => m.event === undefined });
  const seen: SseMessage[] = [];
  const streamEnded = (async () => {
    for (let m = await sse.next(); m; m = await sse.next()) seen.push(m);
  })();
  await until('the run snapshot on the stream', () => seen.some((m) => m.event === 'snapshot'));

  const workers = await Promise.all(
    [1, 2, 3].map(() => start('worker', { GREENLIGHT_WORKERS: '1' })),
  );

  // SIGKILL a worker while it holds a running test, once the run is well under way.
  const holderOf = (lockedBy: string | null) =>
    workers.find((w) => lockedBy?.includes(`:${w.pid}:`));
  const victim = await until(
    'a worker inside a slow test, 10 results in',
    async () => {
      if ((await t.store.results.listByRun(runId)).length < 10) return undefined;
      const jobs = await t.store.jobs.listByRun(runId);
      // Taken under 2 s ago: well inside its 4 s, so it cannot end before the kill lands (a
      // slow test found near its end finished on the victim, attempt 1, in one CI run). It may
      // be just after the victim's previous result: that result's stream lines were committed
      // with it (a kill there once lost its `result` event, when they were written after).
      const fresh = (j: { lockedAt: string | null }) => {
        const age = j.lockedAt === null ? -1 : Date.now() - Date.parse(j.lockedAt);
        return age >= 0 && age < 2_000;
      };
      const job = jobs.find(
        (j) => j.status === 'running' && slowIds.has(j.testId) && fresh(j) && holderOf(j.lockedBy),
      );
      return job && { worker: holderOf(job.lockedBy)!, job };
    },
    { timeoutMs: WAIT_MS, intervalMs: 10 },
  );
  await victim.worker.stop('SIGKILL');

  const run = await until(
    'the run to finish',
    async () => {
      const r = await t.store.runs.get(projectId, runId);
      return r && isTerminal(r.status) && r;
    },
    { timeoutMs: WAIT_MS },
  );
  expect(run).toMatchObject({ status: 'passed', total: TESTS, passed: TESTS });

  // Exactly one result per test, none lost, none doubled.
  const results = await t.store.results.listByRun(runId);
  expect(results).toHaveLength(TESTS);
  expect(new Set(results.map((r) => r.testId))).toEqual(new Set(testIds));
  expect(results.every((r) => r.status === 'passed')).toBe(true);
  // The killed worker's test ran again elsewhere, as a second attempt.
  const jobs = await t.store.jobs.listByRun(runId);
  expect(jobs.every((j) => j.status === 'done')).toBe(true);
  // Only the workers executed tests: the servers (GREENLIGHT_WORKERS=0) took none.
  expect(jobs.every((j) => holderOf(j.lockedBy) !== undefined)).toBe(true);
  const retaken = jobs.find((j) => j.id === victim.job.id)!;
  expect(retaken.attempt).toBe(2);
  expect(holderOf(retaken.lockedBy)).not.toBe(victim.worker);
  expect(results.find((r) => r.testId === victim.job.testId)?.attempt).toBe(2);

  // The second server streamed every test's result once and the run's end, then closed.
  await until('the stream to end', async () => {
    await Promise.race([streamEnded, new Promise((r) => setTimeout(r, 100))]);
    return seen.some((m) => m.event === 'done');
  });
  const finished = seen.filter((m) => m.event === 'result');
  expect(finished.map((m) => m.data?.testId).sort()).toEqual([...testIds].sort());
  expect(seen.at(-1)).toMatchObject({
    event: 'done',
    data: { runId, status: 'completed', runStatus: 'passed', passed: TESTS },
  });
  // Numbered without a gap by the second server's log, though workers elsewhere ran the tests.
  const ids = seen.map((m) => m.id!);
  for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
  ctl.abort();

  // Events and wake-ups went between every process over one LISTEN connection per process.
  const alive = [first, second, ...workers.filter((w) => w !== victim.worker)];
  expect(await listenConnections(alive)).toEqual(alive.map(() => 1));
}, 420_000);

/**
 * How many LISTEN connections each process holds: the backends named for it, as the runtime
 * names its one (`greenlight listen <processId>`, the id in `process_leases`).
 */
async function listenConnections(of: ClusterProcess[]): Promise<number[]> {
  const leases = await t.store.processLeases.live(new Date().toISOString());
  const admin = new pg.Client({ connectionString: t.databaseUrl });
  await admin.connect();
  try {
    const counts = [];
    for (const p of of) {
      const lease = leases.find((l) => l.pid === p.pid);
      expect(lease, `the lease of process ${p.pid}`).toBeDefined();
      // PostgreSQL keeps the first 63 bytes of an application_name (ids are ASCII).
      const app = `greenlight listen ${lease!.id}`.slice(0, 63);
      const { rows } = await admin.query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where application_name = $1',
        [app],
      );
      counts.push(rows[0]!.n);
    }
    return counts;
  } finally {
    await admin.end();
  }
}

it('refuses a worker that would take no jobs', async () => {
  const r = await runCli(['worker'], { GREENLIGHT_DATA_DIR: dataDir, GREENLIGHT_WORKERS: '0' });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/GREENLIGHT_WORKERS=0 would take no jobs/);
}, 180_000);
