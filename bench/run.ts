// Benchmark: the demo suite run by Greenlight with 1, 2 and 4 workers, and the same suite exported
// with `greenlight export` and run by Playwright Test with the same Chromium and workers, in one
// script so both see the same machine state. Prints a table and writes bench/out/results.json.
// `--tests N` grows the suite to N tests with copies of the demo's passing tests (the issue's
// 60-test measurement); the copies are ordinary approved tests, so both tools run all of them.
// Several repeats report the median of each. `--json` prints the result for bench/all.ts.
// CPU time and peak memory are of each tool's whole stack: for Greenlight this process (the
// engine) with its browsers; for Playwright Test the `npx playwright test` process tree (runner,
// workers, browsers). Memory is PSS, so a browser's shared pages count once.
//   node bench/run.ts [--workers 1,2,4] [--repeat 1] [--tests 60] [--json]
import { exec } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { ensureDemoProject, ensureDemoSite, trustDemoSite } from '../src/cli/demo-project.ts';
import { openRuntime } from '../src/cli/runtime.ts';
import { growSuite } from './lib/grow-suite.ts';
import { reapedChildrenCpuMs, samplePeakPss, treeCpuMs } from './lib/proc-tree.ts';
import { captureStdout, emitResult, median, table, type Measure } from './lib/result.ts';

captureStdout();

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const workerCounts = arg('workers', '1,2,4').split(',').map(Number);
const repeat = Number(arg('repeat', '1'));
const wantTests = Number(arg('tests', '0'));
const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'gl-bench-'));

/** Runs a command; resolves with the child's pid once it exits, whatever its exit code. */
function run(
  command: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
  onStart: (pid: number | undefined) => void = () => undefined,
): Promise<void> {
  return new Promise((resolve) => {
    const child = exec(command, { ...opts, maxBuffer: 64 * 1024 * 1024 }, () => resolve());
    onStart(child.pid);
  });
}

interface Row {
  tool: string;
  workers: number;
  wallMs: number;
  cpuMs: number;
  peakPss: number;
  testMs?: number;
  idealMs?: number;
}
const rows: Row[] = [];
const suite = { size: 0 };

const config = loadConfig(process.env, { dataDir, workers: 16, logLevel: 'warn' });
const site = await ensureDemoSite({ port: 0 });
trustDemoSite(config, site);
const rt = await openRuntime(config);
try {
  const project = await ensureDemoProject(rt.store, dataDir, site.url);
  suite.size = (await growSuite(rt.store, project.id, wantTests)).length;
  console.log(`suite: ${suite.size} approved tests`);
  // Warm-up: the whole suite once, so measured runs see a project in its steady state — browsers
  // launched, past durations known for planning, locator memory recorded for self-healing.
  await rt.engine.waitForRun(
    (
      await rt.engine.createRun(project.id, {
        trigger: { source: 'bench' },
      })
    ).id,
  );
  const exportDir = join(root, 'bench', 'out', 'export');
  rmSync(exportDir, { recursive: true, force: true });
  mkdirSync(exportDir, { recursive: true });
  await run(`node bin/greenlight.js export demo --out ${exportDir} --base-url ${site.url}`, {
    cwd: root,
    env: { ...process.env, GREENLIGHT_DATA_DIR: dataDir },
  });
  for (let i = 0; i < repeat; i++) {
    for (const w of workerCounts) {
      // Lanes an earlier run left warm would count in this run's memory; each tool starts cold.
      await rt.pool.closeIdle();
      const cpu0 = treeCpuMs(process.pid);
      const stopG = samplePeakPss(() => process.pid);
      const t0 = performance.now();
      const created = await rt.engine.createRun(project.id, {
        trigger: { source: 'bench' },
        parallelWorkers: w,
      });
      await rt.engine.waitForRun(created.id);
      const wallMs = performance.now() - t0;
      const gPeak = stopG();
      const gCpu = treeCpuMs(process.pid) - cpu0;
      const results = await rt.store.results.listByRun(created.id);
      const testMs = results.reduce((s, r) => s + r.durationMs, 0);
      rows.push({
        tool: 'greenlight',
        workers: w,
        wallMs,
        cpuMs: gCpu,
        peakPss: gPeak,
        testMs,
        idealMs: testMs / w,
      });

      // The runner's tree is this process's child: once it exits and is reaped, its CPU time
      // (and that of everything it waited for) is in this process's cutime/cstime.
      let runnerPid: number | undefined;
      const stopP = samplePeakPss(() => runnerPid);
      const reaped0 = reapedChildrenCpuMs(process.pid);
      const p0 = performance.now();
      await run(
        // --trace off: the export keeps traces of failures, Greenlight traces nothing unless asked;
        // the comparison is of running tests, not of recording them.
        `npx playwright test --config ${join(exportDir, 'playwright.config.ts')} --workers ${w} --reporter=dot --trace off`,
        {
          cwd: root,
          env: { ...process.env, DEMO_PASSWORD: 'greenlight123' },
        },
        (pid) => (runnerPid = pid),
      ); // the demo has one failing test on purpose: a non-zero exit is expected
      const pWall = performance.now() - p0;
      rows.push({
        tool: 'playwright-test',
        workers: w,
        wallMs: pWall,
        cpuMs: reapedChildrenCpuMs(process.pid) - reaped0,
        peakPss: stopP(),
      });
    }
  }
} finally {
  await rt.close();
  await site.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const measures: Measure[] = [];
const lines: (string | number)[][] = [];
const mb = (bytes: number): string => `${Math.round(bytes / 1048576)} MB`;
for (const w of workerCounts) {
  const g = rows.filter((r) => r.tool === 'greenlight' && r.workers === w);
  const p = rows.filter((r) => r.tool === 'playwright-test' && r.workers === w);
  const med = (xs: Row[], k: 'wallMs' | 'cpuMs' | 'peakPss'): number => median(xs.map((r) => r[k]));
  const [gw, pw] = [med(g, 'wallMs'), med(p, 'wallMs')];
  const [gc, pc] = [med(g, 'cpuMs'), med(p, 'cpuMs')];
  const [gm, pm] = [med(g, 'peakPss'), med(p, 'peakPss')];
  const ideal = median(g.map((r) => r.idealMs ?? 0));
  lines.push([
    w,
    s(gw),
    (gw / ideal).toFixed(2),
    s(pw),
    (gw / pw).toFixed(2),
    s(gc),
    s(pc),
    (gc / pc).toFixed(2),
    mb(gm),
    mb(pm),
    (gm / pm).toFixed(2),
  ]);
  const base = { baselineName: 'Playwright Test', better: 'lower' as const };
  const ws = `${w} worker${w === 1 ? '' : 's'}`;
  measures.push(
    { name: `wall, ${ws}`, value: gw / 1000, unit: 's', baseline: pw / 1000, ...base },
    { name: `CPU, ${ws}`, value: gc / 1000, unit: 's', baseline: pc / 1000, ...base },
    { name: `peak PSS, ${ws}`, value: gm / 1048576, unit: 'MB', baseline: pm / 1048576, ...base },
  );
}
const markdown = table(
  [
    'workers',
    'Greenlight wall',
    'wall ÷ (test time / workers)',
    'Playwright Test wall',
    'wall ratio',
    'Greenlight CPU',
    'Playwright Test CPU',
    'CPU ratio',
    'Greenlight peak PSS',
    'Playwright Test peak PSS',
    'memory ratio',
  ],
  lines,
);
console.log(markdown);
mkdirSync(join(root, 'bench', 'out'), { recursive: true });
writeFileSync(join(root, 'bench', 'out', 'results.json'), JSON.stringify(rows, null, 2));
emitResult({
  bench: 'run',
  command: `node bench/run.ts --workers ${workerCounts.join(',')} --repeat ${repeat}${wantTests ? ` --tests ${wantTests}` : ''}`,
  measures,
  markdown: `${markdown}\n\nMedian of ${repeat} per row; both tools run the same ${suite.size} tests with the same Chromium. CPU and peak PSS are of each tool's whole process tree (Greenlight: the engine process and its browsers; Playwright Test: the runner, its workers and browsers).`,
});
