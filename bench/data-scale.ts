// Benchmark: the list and status endpoints when the store is large. A store is filled through the
// store's own repositories, in batches of one transaction each (100,000 finished runs and 10,000
// approved tests by default), then a real `greenlight serve` process on it answers a bounded load
// (autocannon, a few connections for a fixed time) per endpoint; the same is measured on a
// 100-run, 100-test store in the same script (the baseline). Goal: p99 under 20 ms.
//   node bench/data-scale.ts [--runs 100000] [--tests 10000] [--seconds 5] [--connections 4] [--json]
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.ts';
import { parseTestDocument } from '../src/domain/test-definition.ts';
import type { Run } from '../src/domain/run.ts';
import { openStore } from '../src/store/connect.ts';
import { storeOptions } from '../src/store/secret-key.ts';
import { argOf, captureStdout, emitResult, table, type Measure } from './lib/result.ts';

captureStdout();
const bigRuns = Number(argOf('runs', '100000'));
const bigTests = Number(argOf('tests', '10000'));
const seconds = Number(argOf('seconds', '5'));
const connections = Number(argOf('connections', '4'));
const root = join(import.meta.dirname, '..');
const BATCH = 1000;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

interface EndpointStats {
  name: string;
  rps: number;
  p50: number;
  p99: number;
}

/** Fill a fresh data folder with `runs` finished runs over `tests` tests, serve it, load it. */
async function measure(runs: number, tests: number): Promise<EndpointStats[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-scale-'));
  const env = {
    ...process.env,
    GREENLIGHT_DATA_DIR: dir,
    GREENLIGHT_LOG_LEVEL: 'warn',
    GREENLIGHT_RATE_LIMIT: 'off',
  };
  const cli = (...args: string[]): string =>
    execFileSync(process.execPath, [join(root, 'bin', 'greenlight.js'), ...args], {
      env,
      cwd: root,
    })
      .toString()
      .trim();
  try {
    const email = 'scale@example.com';
    const password = 'scale-password-123';
    cli('user', 'create', '--admin', '--email', email, '--password', password);
    cli('project', 'create', 'Scale', '--base-url', 'http://127.0.0.1:9');
    const token = cli('token', 'create', '--project', 'scale', '--name', 'bench')
      .split(/\s+/)
      .find((t) => t.startsWith('glt_'));
    if (!token) throw new Error('no trigger token printed');

    const t0 = performance.now();
    const store = await openStore(storeOptions(loadConfig(env)));
    let sampleRunId = '';
    try {
      const project = await store.projects.get('scale');
      if (!project) throw new Error('project missing');
      const testIds: string[] = [];
      for (let i = 0; i < tests; i += BATCH) {
        await store.transaction(async (tx) => {
          for (let j = i; j < Math.min(tests, i + BATCH); j++) {
            const doc = parseTestDocument({
              name: `Scale test ${j}`,
              suite: `suite-${j % 50}`,
              tags: [j % 2 ? 'smoke' : 'regression'],
              steps: [{ goto: `/page/${j}` }, { expect: { visible: { css: 'body' } } }],
            });
            const t = await tx.tests.create(project.id, doc, {
              source: 'bench',
              status: 'approved',
            });
            testIds.push(t.id);
          }
        });
      }
      const start = Date.now() - runs * 60_000;
      for (let i = 0; i < runs; i += BATCH) {
        await store.transaction(async (tx) => {
          for (let j = i; j < Math.min(runs, i + BATCH); j++) {
            const created = new Date(start + j * 60_000).toISOString();
            const ids = Array.from(
              { length: 20 },
              (_, k) => testIds[(j * 20 + k) % testIds.length]!,
            );
            const failed = j % 10 === 0 ? 1 : 0;
            const run: Run = {
              id: randomUUID(),
              projectId: project.id,
              status: failed ? 'failed' : 'passed',
              trigger: { source: 'ci' },
              selection: {},
              testIds: ids,
              baseUrl: project.baseUrl,
              environment: null,
              parallelWorkers: 4,
              error: failed ? '1 test failed' : null,
              total: 20,
              passed: 20 - failed,
              failed,
              skipped: 0,
              errored: 0,
              flaky: 0,
              quarantined: 0,
              createdAt: created,
              startedAt: created,
              finishedAt: new Date(start + j * 60_000 + 30_000).toISOString(),
            };
            await tx.runs.create(run);
            if (j === Math.floor(runs / 2)) sampleRunId = run.id;
          }
        });
      }
    } finally {
      await store.close();
    }
    console.log(
      `store: ${runs} runs, ${tests} tests, filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = spawn(
      process.execPath,
      [join(root, 'bin', 'greenlight.js'), 'serve', '--no-demo', '--port', String(port)],
      { env, cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    try {
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`${base}/api/v1/health`)).ok) break;
        } catch {
          if (i > 300) throw new Error('server did not start');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      if (!login.ok) throw new Error(`login: ${login.status}`);
      const cookie = login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const endpoints: { name: string; path: string; headers: Record<string, string> }[] = [
        {
          name: 'GET runs (list, newest 20)',
          path: '/api/v1/projects/scale/runs?limit=20',
          headers: { cookie },
        },
        {
          name: 'GET runs?status=failed (list, filtered)',
          path: '/api/v1/projects/scale/runs?limit=20&status=failed',
          headers: { cookie },
        },
        {
          name: 'GET tests (list, first 50)',
          path: '/api/v1/projects/scale/tests?limit=50',
          headers: { cookie },
        },
        {
          name: 'GET run (dashboard status)',
          path: `/api/v1/projects/scale/runs/${sampleRunId}`,
          headers: { cookie },
        },
        {
          name: 'GET trigger status (CI poll)',
          path: `/api/v1/projects/scale/trigger/runs/${sampleRunId}`,
          headers: { authorization: `Bearer ${token}` },
        },
      ];
      const out: EndpointStats[] = [];
      // Warm-up: one second on each endpoint, so the first measured one pays no JIT or cache.
      for (const e of endpoints) {
        await autocannon({ url: `${base}${e.path}`, headers: e.headers, connections, duration: 1 });
      }
      for (const e of endpoints) {
        const check = await fetch(`${base}${e.path}`, { headers: e.headers });
        if (check.status !== 200)
          throw new Error(`${e.name}: ${check.status} ${await check.text()}`);
        const r = await autocannon({
          url: `${base}${e.path}`,
          headers: e.headers,
          connections,
          duration: seconds,
        });
        if (r.non2xx || r.errors || r.timeouts) {
          throw new Error(
            `${e.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`,
          );
        }
        out.push({ name: e.name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 });
      }
      return out;
    } finally {
      server.kill('SIGTERM');
      await once(server, 'close');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const small = await measure(100, 100);
const big = await measure(bigRuns, bigTests);
const rows: (string | number)[][] = [];
const measures: Measure[] = [];
for (const b of big) {
  const s = small.find((x) => x.name === b.name);
  rows.push([
    b.name,
    b.p50.toFixed(1),
    b.p99.toFixed(1),
    b.rps.toFixed(0),
    s ? s.p99.toFixed(1) : '—',
    s ? (b.p99 / Math.max(s.p99, 1)).toFixed(2) : '—',
  ]);
  measures.push({
    name: `${b.name} p99, ${bigRuns} runs`,
    value: b.p99,
    unit: 'ms',
    ...(s ? { baseline: s.p99, baselineName: '100 runs' } : {}),
    better: 'lower',
  });
}
const markdown = [
  `${bigRuns} runs and ${bigTests} tests vs 100 runs and 100 tests (SQLite); ${connections} connections for ${seconds} s per endpoint (autocannon). Goal: p99 under 20 ms.`,
  '',
  table(['endpoint', 'p50 ms', 'p99 ms', 'req/s', 'p99 ms, 100 runs', 'p99 ÷ small store'], rows),
].join('\n');
console.log(markdown);
emitResult({
  bench: 'data-scale',
  command: `node bench/data-scale.ts --runs ${bigRuns} --tests ${bigTests} --seconds ${seconds} --connections ${connections}`,
  measures,
  markdown,
});
