// Benchmark: one suite's wall time with 1, 2 and 3 `greenlight worker` processes beside a
// `greenlight serve` that executes nothing (GREENLIGHT_WORKERS=0), all real CLI processes on one
// PostgreSQL schema (issue 13). Each worker runs one test at a time (one browser), so the rows
// differ only in the number of processes. Before each measured run a short warm-up run lets
// every worker launch its browser. Ratios: wall ÷ the 1-worker wall in the same script.
// PostgreSQL: GREENLIGHT_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test).
//   node bench/workers.ts [--tests 60] [--workers 1,2,3] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminal } from '../src/domain/run.ts';
import { openStore, type Store } from '../src/store/connect.ts';
import { createAdmin } from '../test/integration/auth-helpers.ts';
import {
  createSchema,
  seedSuite,
  startProcess,
  clusterEnv,
  type ClusterProcess,
} from '../test/helpers/cluster.ts';
import { startStaticServer } from '../test/helpers/static-server.ts';
import { argOf, captureStdout, emitResult, table, type Measure } from './lib/result.ts';

captureStdout();
const PG_URL = process.env.GREENLIGHT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const TESTS = Number(argOf('tests', '60'));
const COUNTS = argOf('workers', '1,2,3').split(',').map(Number);
const SECRET_KEY = 'ab'.repeat(32);

const { schema, drop } = await createSchema(PG_URL);
const dataDir = mkdtempSync(join(tmpdir(), 'gl-bench-workers-'));
const site = await startStaticServer(join(import.meta.dirname, '..', 'test', 'fixtures', 'runner'));
const store: Store = await openStore({
  databaseUrl: PG_URL,
  schema,
  secretKey: Buffer.from(SECRET_KEY, 'hex'),
});
const procs: ClusterProcess[] = [];
const env = (workers: number): Record<string, string> => ({
  ...clusterEnv({ databaseUrl: PG_URL, schema, dataDir, secretKeyHex: SECRET_KEY }),
  GREENLIGHT_WORKERS: String(workers),
});

/** Start a run on the server and wait for its verdict; its wall time in ms. */
async function timedRun(url: string, auth: string, projectId: string, testIds: string[]) {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/projects/${projectId}/runs`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({ testIds, parallelWorkers: 16 }),
  });
  if (res.status !== 202) throw new Error(`starting a run: HTTP ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const run = await store.runs.get(projectId, id);
    if (run && isTerminal(run.status)) {
      if (run.status !== 'passed') throw new Error(`the run ended ${run.status}: ${run.error}`);
      return performance.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rows: { workers: number; wallMs: number }[] = [];
try {
  const { projectId, testIds } = await seedSuite(store, site.url, TESTS);
  const admin = await createAdmin(store);
  const auth = `Bearer ${admin.apiKey}`;
  const serve = await startProcess('serve', env(0));
  procs.push(serve);
  console.log(`workers bench: ${TESTS} tests, serve ${serve.url} (GREENLIGHT_WORKERS=0)`);
  for (const n of COUNTS) {
    const workers = await Promise.all(
      Array.from({ length: n }, () => startProcess('worker', env(1))),
    );
    procs.push(...workers);
    await timedRun(serve.url!, auth, projectId, testIds.slice(0, 2 * n));
    const wallMs = await timedRun(serve.url!, auth, projectId, testIds);
    rows.push({ workers: n, wallMs });
    console.log(`  ${n} worker process(es): ${(wallMs / 1000).toFixed(1)} s`);
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
  }
  const base = rows[0]!.wallMs;
  const md = table(
    ['worker processes', 'wall', 'tests/s', 'wall ÷ 1 worker', 'speed-up'],
    rows.map((r) => [
      r.workers,
      `${(r.wallMs / 1000).toFixed(1)} s`,
      (TESTS / (r.wallMs / 1000)).toFixed(2),
      (r.wallMs / base).toFixed(2),
      `${(base / r.wallMs).toFixed(2)}×`,
    ]),
  );
  console.log(`\n${md}`);
  const measures: Measure[] = rows.slice(1).map((r) => ({
    name: `${TESTS}-test suite wall, ${r.workers} worker processes`,
    value: r.wallMs / 1000,
    unit: 's',
    baseline: base / 1000,
    baselineName: '1 worker process',
    better: 'lower',
  }));
  emitResult({
    bench: 'workers',
    command: `node bench/workers.ts --tests ${TESTS} --workers ${COUNTS.join(',')}`,
    measures,
    markdown: [
      `One \`greenlight serve\` (GREENLIGHT_WORKERS=0) and N \`greenlight worker\` processes ` +
        `(GREENLIGHT_WORKERS=1 each) on one PostgreSQL schema; ${TESTS} tests (page load + one ` +
        'expectation on a local page); wall = run started over the API → verdict.',
      '',
      md,
    ].join('\n'),
  });
} finally {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await store.close();
  await site.close();
  await drop();
  rmSync(dataDir, { recursive: true, force: true });
}
