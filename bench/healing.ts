// Benchmark: what self-healing costs. The demo suite runs through the engine in one process:
// once with the healer recording every step's alternatives (first run), then per round once as
// shipped (memory fresh: nothing recorded, locators taken as written) and once with an executor
// that withholds memory (no healer at all, the baseline), so all see the same browser, machine
// and data. Prints total test time and wall time per variant.
//   node bench/healing.ts [--rounds 3] [--workers 2] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserPool } from '../src/browser/browser-pool.ts';
import { loadConfig } from '../src/config.ts';
import { ensureDemoProject, ensureDemoSite } from '../src/cli/demo-project.ts';
import { chromiumExecutor } from '../src/engine/chromium-executor.ts';
import { Engine } from '../src/engine/engine.ts';
import { InProcessEventBus } from '../src/events/event-bus.ts';
import { LocalQueue } from '../src/queue/local-queue.ts';
import { openStore } from '../src/store/connect.ts';
import { storeOptions } from '../src/store/secret-key.ts';
import { captureStdout, emitResult, table } from './lib/result.ts';

captureStdout();

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const rounds = Number(arg('rounds', '3'));
const workers = Number(arg('workers', '2'));
const dataDir = mkdtempSync(join(tmpdir(), 'gl-bench-heal-'));
const config = loadConfig(process.env, { dataDir, workers, logLevel: 'warn' });
const site = await ensureDemoSite({ port: 0 });
const store = await openStore(storeOptions(config));
const pool = new BrowserPool({ chromiumPath: config.chromiumPath, browserWs: null });
const real = chromiumExecutor(pool, dataDir);
let withhold = false;
const engine = new Engine({
  store,
  queue: new LocalQueue(store),
  events: new InProcessEventBus(),
  // Same executor; the baseline variant simply gets no memory, so the runner builds no healer.
  executor: (job) => real(withhold ? { ...job, locatorMemory: undefined } : job),
  dataDir,
  workers,
});
await engine.start();
const totals = { healer: { test: 0, wall: 0 }, none: { test: 0, wall: 0 } };
const recording = { test: 0, wall: 0 };
try {
  const project = await ensureDemoProject(store, dataDir, site.url);
  const once = async (): Promise<{ test: number; wall: number }> => {
    const t0 = performance.now();
    const run = await engine.createRun(project.id, {
      trigger: { source: 'bench' },
      parallelWorkers: workers,
    });
    await engine.waitForRun(run.id);
    const wall = performance.now() - t0;
    const results = await store.results.listByRun(run.id);
    return { test: results.reduce((s, r) => s + r.durationMs, 0), wall };
  };
  withhold = true;
  await once(); // warm-up: browsers launched, durations known
  withhold = false;
  const rec = await once(); // the first run with the healer records every step's alternatives
  recording.test = rec.test;
  recording.wall = rec.wall;
  for (let i = 0; i < rounds; i++) {
    for (const variant of i % 2 === 0
      ? (['healer', 'none'] as const)
      : (['none', 'healer'] as const)) {
      withhold = variant === 'none';
      const r = await once();
      totals[variant].test += r.test;
      totals[variant].wall += r.wall;
    }
  }
} finally {
  await engine.stop();
  await pool.close();
  await store.close();
  await site.close();
  rmSync(dataDir, { recursive: true, force: true });
}
const s = (ms: number): string => `${(ms / 1000 / rounds).toFixed(2)} s`;
const first = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const markdown = table(
  ['variant', 'test time per run', 'wall per run'],
  [
    ['no healer (baseline)', s(totals.none.test), s(totals.none.wall)],
    ['healer, memory fresh', s(totals.healer.test), s(totals.healer.wall)],
    ['healer, first run (records)', first(recording.test), first(recording.wall)],
  ],
);
console.log(markdown);
const base = totals.none.test / rounds;
console.log(
  `ratio to baseline test time: memory fresh ${(totals.healer.test / totals.none.test).toFixed(3)}, first run ${(recording.test / base).toFixed(3)}`,
);
emitResult({
  bench: 'healing',
  command: `node bench/healing.ts --rounds ${rounds} --workers ${workers}`,
  measures: [
    {
      name: 'demo test time, healer with fresh memory',
      value: totals.healer.test / rounds / 1000,
      unit: 's',
      baseline: base / 1000,
      baselineName: 'no healer',
      better: 'lower',
    },
    {
      name: 'demo test time, healer recording (first run)',
      value: recording.test / 1000,
      unit: 's',
      baseline: base / 1000,
      baselineName: 'no healer',
      better: 'lower',
    },
  ],
  markdown,
});
