// Benchmark: does a long-lived server's memory stay flat? One `greenlight serve` (demo, SQLite)
// runs a small suite again and again, with API polls (status, results, reports) between runs,
// for N minutes; RSS (/proc) and V8 heap used (the server's own /metrics) are sampled every 10 s.
// Printed: first, last and max of each, and the slope of a least-squares line through the
// samples against runs finished, in MB per 100 runs.
// The slope counts only samples after `--warmup` runs (the first load the browser library).
//   node bench/soak.ts [--minutes 5] [--tests 3] [--warmup 3] [--entry ts|built]
//                      [--node-flags "..."] [--json]
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/store/connect.ts';
import { storeOptions } from '../src/store/secret-key.ts';
import { argOf, captureStdout, emitResult, table, type Measure } from './lib/result.ts';
import { rssOf } from './lib/proc-tree.ts';
import { runToEnd, startServerProcess, type Entry } from './lib/server-process.ts';

captureStdout();
const minutes = Number(argOf('minutes', '5'));
const testCount = Number(argOf('tests', '3'));
// The first runs load the browser library and warm caches: the slope is taken after them.
const warmup = Number(argOf('warmup', '3'));
const entry = argOf('entry', 'ts') as Entry;
const nodeFlags = argOf('node-flags', '').split(' ').filter(Boolean);
const SAMPLE_MS = 10_000;
const METRICS_TOKEN = 'soak-metrics-token';

interface Sample {
  at: number;
  runs: number;
  rss: number;
  heap: number;
}

process.env.GREENLIGHT_METRICS_TOKEN = METRICS_TOKEN;
const server = await startServerProcess({ entry, nodeFlags });
const samples: Sample[] = [];
let quiet: Sample | undefined;
let runs = 0;
const ids: string[] = [];
try {
  ids.push(...(await smallSuite(server.env)));
  const auth = { authorization: `Bearer ${server.token()}` };
  const heapUsed = async (): Promise<number> => {
    const text = await (
      await fetch(`${server.base}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
    ).text();
    return Number(/^greenlight_process_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? 0);
  };
  const sample = async (): Promise<void> => {
    samples.push({ at: Date.now(), runs, rss: rssOf(server.pid), heap: await heapUsed() });
    const s = samples.at(-1)!;
    console.log(
      `${((s.at - samples[0]!.at) / 1000).toFixed(0).padStart(5)} s  runs ${String(runs).padStart(4)}  RSS ${mb(s.rss)} MB  heap ${mb(s.heap)} MB`,
    );
  };
  await sample();
  const end = Date.now() + minutes * 60_000;
  let next = Date.now() + SAMPLE_MS;
  while (Date.now() < end) {
    const status = await runToEnd(server, { tests: ids, dialsConfig: { parallelWorkers: 2 } });
    if (status !== 'completed') console.log(`run ${runs + 1} ended ${status}`);
    runs++;
    // What a pipeline and the dashboard ask between runs.
    const list = (await (
      await fetch(`${server.base}/api/v1/projects/demo/runs?limit=1`, { headers: auth })
    ).json()) as { items?: { id: string }[] };
    const runId = list.items?.[0]?.id;
    if (runId) {
      for (const path of ['', '/results', '/report?format=json', '/report?format=junit']) {
        await (await fetch(`${server.base}/api/v1/runs/${runId}${path}`, { headers: auth })).text();
      }
    }
    if (Date.now() >= next) {
      await sample();
      next += SAMPLE_MS;
    }
  }
  await sample();
  // Then quiet, as a server is between pipelines: long enough for its idle compaction to look twice.
  await new Promise((r) => setTimeout(r, 12_000));
  quiet = { at: Date.now(), runs, rss: rssOf(server.pid), heap: await heapUsed() };
} finally {
  await server.stop();
}

/** The first `testCount` passing demo tests. */
async function smallSuite(env: NodeJS.ProcessEnv): Promise<string[]> {
  const store = await openStore(storeOptions(loadConfig(env)));
  try {
    const project = await store.projects.get('demo');
    if (!project) throw new Error('the demo project was not seeded');
    const approved = await store.tests.forSelection(project.id, {});
    return approved
      .filter((t) => !t.tags.includes('known-failure'))
      .slice(0, testCount)
      .map((t) => t.id);
  } finally {
    await store.close();
  }
}

function mb(b: number): string {
  return (b / 2 ** 20).toFixed(1);
}

/** Least-squares slope of y against x (0 when x does not vary). */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const warm = samples.filter((s) => s.runs >= warmup);
const first = warm[0] ?? samples[0]!;
const last = samples.at(-1)!;
const perHundred = (key: 'rss' | 'heap'): number =>
  (slope(warm.map((s) => ({ x: s.runs, y: s[key] }))) * 100) / 2 ** 20;
const rows = (['rss', 'heap'] as const).map((key) => ({
  key,
  first: first[key],
  last: last[key],
  idle: samples[0]![key],
  max: Math.max(...samples.map((s) => s[key])),
  quiet: quiet?.[key] ?? NaN,
  slope: perHundred(key),
}));
const label = { rss: 'RSS', heap: 'V8 heap used' };
const markdown = [
  `\`greenlight serve\` (${entry === 'built' ? 'built' : 'TypeScript sources'}${nodeFlags.length ? `, ${nodeFlags.join(' ')}` : ''}), ${runs} runs of ${ids.length} demo tests over ${minutes} min, API polls between runs, a sample every ${SAMPLE_MS / 1000} s (${samples.length} samples).`,
  '',
  table(
    [
      'measure',
      'just started MB',
      `after ${warmup} runs MB`,
      'last MB',
      'max MB',
      'quiet 12 s after MB',
      'slope MB per 100 runs',
    ],
    rows.map((r) => [
      label[r.key],
      mb(r.idle),
      mb(r.first),
      mb(r.last),
      mb(r.max),
      mb(r.quiet),
      r.slope.toFixed(2),
    ]),
  ),
].join('\n');
console.log(markdown);
const measures: Measure[] = rows.flatMap((r) => [
  {
    name: `${label[r.key]}, last sample`,
    value: r.last / 2 ** 20,
    unit: 'MB',
    baseline: r.first / 2 ** 20,
    baselineName: `after ${warmup} runs`,
    better: 'lower' as const,
  },
  {
    name: `${label[r.key]}, quiet 12 s after the last run`,
    value: r.quiet / 2 ** 20,
    unit: 'MB',
    baseline: r.last / 2 ** 20,
    baselineName: 'last sample under load',
    better: 'lower' as const,
  },
  {
    name: `${label[r.key]} slope per 100 runs`,
    value: r.slope,
    unit: 'MB',
    better: 'lower' as const,
  },
]);
emitResult({
  bench: 'soak',
  command: `node bench/soak.ts --minutes ${minutes} --tests ${testCount} --entry ${entry}${nodeFlags.length ? ` --node-flags "${nodeFlags.join(' ')}"` : ''}`,
  measures,
  markdown,
});
