// Benchmark: the engine's own bookkeeping per test, with the browser taken out. One run of N
// approved tests is driven by the real Engine, LocalQueue and store with an executor that
// returns a passing outcome at once, so the wall time is claiming, reading the run, recording
// results, counting, publishing events and finishing. Printed per test, and as the ratio of the
// per-test cost at each size to the smallest size (the goal: flat, ≤ 1.5 from 100 to 10,000).
//   node bench/orchestration.ts [--sizes 100,1000,10000] [--dialects sqlite,postgres] [--workers 4]
// PostgreSQL: GREENLIGHT_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test), one
// throw-away schema per size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.ts';
import type { TestExecutor } from '../src/engine/executor.ts';
import { InProcessEventBus } from '../src/events/event-bus.ts';
import { LocalQueue } from '../src/queue/local-queue.ts';
import { parseTestDocument } from '../src/domain/test-definition.ts';
import { openBenchStore } from './lib/bench-store.ts';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const sizes = arg('sizes', '100,1000,10000').split(',').map(Number);
const dialects = arg('dialects', 'sqlite,postgres').split(',');
const workers = Number(arg('workers', '4'));

/** A test that "ran" in no time: the orchestration is all that is left to measure. */
const instant: TestExecutor = async (job) => {
  const at = new Date().toISOString();
  return {
    testId: job.test.id,
    testName: job.test.name,
    status: 'passed',
    durationMs: 1,
    failedStep: null,
    error: null,
    steps: [],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: at,
    finishedAt: at,
  };
};

interface Row {
  dialect: string;
  tests: number;
  wallMs: number;
  perTestMs: number;
}

async function measure(dialect: string, n: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-orch-'));
  const { store, dispose } = await openBenchStore(dialect, dir);
  const events = new InProcessEventBus();
  const queue = new LocalQueue(store, { pollIntervalMs: 50 });
  const engine = new Engine({ store, queue, events, executor: instant, dataDir: dir, workers });
  try {
    const project = await store.projects.create({
      slug: 'bench',
      name: 'Bench',
      baseUrl: 'http://app.invalid',
      parallelWorkers: workers,
    });
    const doc = (i: number) => parseTestDocument({ name: `t${i}`, steps: [{ goto: '/' }] });
    await store.transaction(async (tx) => {
      for (let i = 0; i < n; i++) {
        await tx.tests.create(project.id, doc(i), { source: 'api', status: 'approved' });
      }
    });
    await engine.start();
    const t0 = performance.now();
    const run = await engine.createRun(project.id, { trigger: { source: 'bench' } });
    const done = await engine.waitForRun(run.id, { pollMs: 100 });
    const wallMs = performance.now() - t0;
    if (done.status !== 'passed' || done.passed !== n) {
      throw new Error(`run ended ${done.status} with ${done.passed}/${n} passed`);
    }
    return { dialect, tests: n, wallMs, perTestMs: wallMs / n };
  } finally {
    await engine.stop();
    await queue.close();
    await dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const dialect of dialects) {
  for (const n of sizes) {
    process.stderr.write(`[bench] ${dialect}: ${n} tests…\n`);
    rows.push(await measure(dialect, n));
  }
}
console.log(`| store | tests | wall | per test | per test ÷ ${sizes[0]}-test run |`);
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) {
  const base = rows.find((b) => b.dialect === r.dialect && b.tests === sizes[0]);
  const ratio = base ? r.perTestMs / base.perTestMs : NaN;
  console.log(
    `| ${r.dialect} | ${r.tests} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.perTestMs.toFixed(2)} ms | ${ratio.toFixed(2)} |`,
  );
}
