// Benchmark: what Greenlight costs in memory and disk. A real `greenlight serve` with the bundled
// demo (SQLite) is measured idle, then during a 4-worker run of N demo tests for each size (20
// and 100; 500 with --full; copies of the demo's passing tests make up the numbers):
// - server RSS (/proc/<pid>/status VmRSS): idle, after 100 API requests, the peak during each run
//   and once each run is over;
// - whole-stack PSS: the server and every process under it (the Chromium browsers), summed from
//   /proc/<pid>/smaps_rollup (proportional: shared pages are not counted twice), peak;
// - database bytes (pages in use in greenlight.db, WAL included) and artifact bytes (everything else in the data
//   folder) the run added, per run and per test.
// The ratios compare each size with the smallest, and the run's server RSS with the idle one.
// `--entry built` runs `dist/` (after `npm run build`) instead of the TypeScript sources;
// `--node-flags` passes V8/Node flags to the server (e.g. "--max-semi-space-size=4").
//   node bench/resources.ts [--sizes 20,100] [--full] [--entry ts|built] [--node-flags "..."] [--json]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/store/connect.ts';
import { storeOptions } from '../src/store/secret-key.ts';
import { growSuite } from './lib/grow-suite.ts';
import { argOf, captureStdout, emitResult, median, table, type Measure } from './lib/result.ts';
import { rssOf, settledRss, stackPss } from './lib/proc-tree.ts';
import { startServerProcess, type Entry } from './lib/server-process.ts';

captureStdout();
const full = process.argv.includes('--full');
const sizes = argOf('sizes', full ? '20,100,500' : '20,100')
  .split(',')
  .map(Number);
const entry = argOf('entry', 'ts') as Entry;
const nodeFlags = argOf('node-flags', '').split(' ').filter(Boolean);
const WORKERS = 4;

/**
 * Bytes the database uses (its pages less the free ones, as of the latest commit, WAL included:
 * file sizes would count the WAL's reuse and SQLite's pre-allocation) and bytes of everything
 * else in the data folder (artifacts, reports).
 */
function diskBytes(folder: string): { db: number; artifacts: number } {
  const sqlite = new SqliteDatabase(join(folder, 'greenlight.db'), { readonly: true });
  let db: number;
  try {
    const pragma = (name: string): number => Number(sqlite.pragma(name, { simple: true }));
    db = (pragma('page_count') - pragma('freelist_count')) * pragma('page_size');
  } finally {
    sqlite.close();
  }
  let artifacts = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !(d === folder && e.name.startsWith('greenlight.db'))) {
        artifacts += statSync(p).size;
      }
    }
  };
  walk(folder);
  return { db, artifacts };
}

const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
const kb = (b: number): string => (b / 1024).toFixed(0);
interface SizeRow {
  tests: number;
  seconds: number;
  peakRss: number;
  /** Server RSS a few seconds after the run ended. */
  afterRss: number;
  peakPss: number;
  processes: number;
  dbPerRun: number;
  artifactsPerRun: number;
}
const rowsBySize: SizeRow[] = [];
const idleOf = { rss: 0, pss: 0, afterApi: 0 };

const server = await startServerProcess({ entry, nodeFlags });
const { base, dir, env } = server;
try {
  const pid = server.pid!;
  // Idle: the median of a few samples a quarter second apart, once start-up work is over.
  const idle: number[] = [];
  const idleStack: number[] = [];
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 250));
    idle.push(rssOf(pid));
    idleStack.push(stackPss(pid).pss);
  }
  idleOf.rss = median(idle);
  idleOf.pss = median(idleStack);
  const { rss: idleRss, pss: idlePss } = idleOf;
  console.log(`idle: server RSS ${mb(idleRss)} MB, stack PSS ${mb(idlePss)} MB`);

  // The first user adopts the seeded demo project into a workspace; tokens need one.
  const auth = { authorization: `Bearer ${server.token()}`, 'content-type': 'application/json' };

  // 100 API requests a dashboard and a pipeline make (lists, a project, its tests, the docs).
  const paths = ['/api/v1/health', '/api/v1/projects/demo', '/api/v1/projects/demo/runs?limit=20'];
  paths.push('/api/v1/projects/demo/tests?limit=50', '/openapi.json');
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${base}${paths[i % paths.length]}`, { headers: auth });
    await res.arrayBuffer();
  }
  idleOf.afterApi = await settledRss(pid);
  console.log(`after 100 API requests: server RSS ${mb(idleOf.afterApi)} MB`);

  for (const n of sizes) {
    const store = await openStore(storeOptions(loadConfig(env)));
    let ids: string[];
    try {
      const project = await store.projects.get('demo');
      if (!project) throw new Error('the demo project was not seeded');
      ids = (await growSuite(store, project.id, n)).slice(0, n);
    } finally {
      await store.close();
    }
    const before = diskBytes(dir);
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/projects/demo/trigger`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ tests: ids, dialsConfig: { parallelWorkers: WORKERS } }),
    });
    if (res.status !== 202) throw new Error(`trigger: ${res.status} ${await res.text()}`);
    const { statusUrl } = (await res.json()) as { statusUrl: string };
    let peakRss = 0;
    let peakPss = 0;
    let processes = 0;
    for (;;) {
      peakRss = Math.max(peakRss, rssOf(pid));
      const s = stackPss(pid);
      if (s.pss > peakPss) ({ pss: peakPss, processes } = s);
      const st = (await (await fetch(statusUrl, { headers: auth })).json()) as { status: string };
      if (st.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - t0) / 1000;
    const afterRss = await settledRss(pid);
    const after = diskBytes(dir);
    const row: SizeRow = {
      tests: n,
      seconds,
      peakRss,
      afterRss,
      peakPss,
      processes,
      dbPerRun: after.db - before.db,
      artifactsPerRun: after.artifacts - before.artifacts,
    };
    rowsBySize.push(row);
    console.log(
      `${n} tests: ${seconds.toFixed(1)} s, peak server RSS ${mb(peakRss)} MB (${mb(afterRss)} MB after), peak stack PSS ${mb(peakPss)} MB (${processes} processes), db +${kb(row.dbPerRun)} kB, artifacts +${kb(row.artifactsPerRun)} kB`,
    );
  }
} finally {
  await server.stop();
}

const { rss: idleRss, pss: idlePss } = idleOf;
const first = rowsBySize[0]!;
const measures: Measure[] = [
  { name: 'server RSS, idle', value: idleRss / 2 ** 20, unit: 'MB', better: 'lower' },
  { name: 'whole-stack PSS, idle', value: idlePss / 2 ** 20, unit: 'MB', better: 'lower' },
  {
    name: 'server RSS after 100 API requests',
    value: idleOf.afterApi / 2 ** 20,
    unit: 'MB',
    baseline: idleRss / 2 ** 20,
    baselineName: 'idle',
    better: 'lower',
  },
];
for (const r of rowsBySize) {
  measures.push(
    {
      name: `server RSS peak, ${r.tests} tests × ${WORKERS} workers`,
      value: r.peakRss / 2 ** 20,
      unit: 'MB',
      baseline: idleRss / 2 ** 20,
      baselineName: 'idle',
      better: 'lower',
    },
    {
      name: `server RSS after a run of ${r.tests} tests`,
      value: r.afterRss / 2 ** 20,
      unit: 'MB',
      baseline: idleRss / 2 ** 20,
      baselineName: 'idle',
      better: 'lower',
    },
    {
      name: `whole-stack PSS peak, ${r.tests} tests`,
      value: r.peakPss / 2 ** 20,
      unit: 'MB',
      ...(r === first
        ? {}
        : { baseline: first.peakPss / 2 ** 20, baselineName: `${first.tests} tests` }),
      better: 'lower',
    },
    {
      name: `database bytes per test, ${r.tests} tests`,
      value: r.dbPerRun / r.tests / 1024,
      unit: 'kB',
      ...(r === first
        ? {}
        : { baseline: first.dbPerRun / first.tests / 1024, baselineName: `${first.tests} tests` }),
      better: 'lower',
    },
    {
      name: `artifact bytes per test, ${r.tests} tests`,
      value: r.artifactsPerRun / r.tests / 1024,
      unit: 'kB',
      ...(r === first
        ? {}
        : {
            baseline: first.artifactsPerRun / first.tests / 1024,
            baselineName: `${first.tests} tests`,
          }),
      better: 'lower',
    },
  );
}
const markdown = [
  `\`greenlight serve\` with the demo (SQLite), one run of N demo tests with ${WORKERS} workers per row; server from ${entry === 'built' ? '`dist/`' : 'the TypeScript sources'}${nodeFlags.length ? ` with \`${nodeFlags.join(' ')}\`` : ''}. Idle: server RSS ${mb(idleRss)} MB (${mb(idleOf.afterApi)} MB after 100 API requests), whole stack PSS ${mb(idlePss)} MB.`,
  '',
  table(
    [
      'tests',
      'run wall s',
      'server RSS peak MB',
      'server RSS after MB',
      'stack PSS peak MB',
      'processes',
      'db per run kB',
      'db per test kB',
      'artifacts per run kB',
      'artifacts per test kB',
    ],
    rowsBySize.map((r) => [
      r.tests,
      r.seconds.toFixed(1),
      mb(r.peakRss),
      mb(r.afterRss),
      mb(r.peakPss),
      r.processes,
      kb(r.dbPerRun),
      (r.dbPerRun / r.tests / 1024).toFixed(1),
      kb(r.artifactsPerRun),
      (r.artifactsPerRun / r.tests / 1024).toFixed(1),
    ]),
  ),
].join('\n');
console.log(markdown);
emitResult({
  bench: 'resources',
  command: `node bench/resources.ts --sizes ${sizes.join(',')} --entry ${entry}${nodeFlags.length ? ` --node-flags "${nodeFlags.join(' ')}"` : ''}`,
  measures,
  markdown,
});
