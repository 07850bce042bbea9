// Benchmark: building the JSON report of a large run (`loadReportInput` + `streamReport`, every
// chunk read) on a store holding one finished run of N tests, each with one result. The report
// reads each test's suite, tags and key with `tests.infoByIds`, one query per 500 ids; the
// baseline is the way it was done before, one `tests.get` per test, 20 at a time (a copy of the
// old loop below, handed in as the report source's `tests`). Both are run alternately in the same
// script on the same store, and must give the same document.
//   node bench/report-build.ts [--tests 10000] [--dialects sqlite,postgres] [--repeat 3] [--json]
// PostgreSQL: GREENLIGHT_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test), one
// throw-away schema.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Project } from '../src/domain/project.ts';
import type { Run } from '../src/domain/run.ts';
import { parseTestDocument } from '../src/domain/test-definition.ts';
import { streamReport } from '../src/report/index.ts';
import { findRun, loadReportInput, type ReportSource } from '../src/report/report-source.ts';
import type { Store } from '../src/store/connect.ts';
import { argOf, captureStdout, emitResult, median, table, type Measure } from './lib/result.ts';
import { openBenchStore } from './lib/bench-store.ts';
import { makeRun } from '../test/helpers/records.ts';

captureStdout();
const tests = Number(argOf('tests', '10000'));
const dialects = argOf('dialects', 'sqlite,postgres').split(',');
const repeat = Number(argOf('repeat', '3'));
const BATCH = 1000;

/** A project with `n` approved tests (suite, tags, key) and one finished run with a result each. */
async function fill(store: Store, n: number): Promise<{ run: Run; project: Project }> {
  const project = await store.projects.create({
    slug: 'bench',
    name: 'Bench',
    baseUrl: 'http://app.invalid',
    parallelWorkers: 4,
  });
  const testIds: string[] = [];
  for (let i = 0; i < n; i += BATCH) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        const doc = parseTestDocument({
          key: `suite-${j % 50}.yaml#t${j}`,
          name: `Report test ${j}`,
          suite: `suite-${j % 50}`,
          tags: [j % 2 ? 'smoke' : 'regression'],
          steps: [{ goto: `/page/${j}` }],
        });
        const t = await tx.tests.create(project.id, doc, { source: 'bench', status: 'approved' });
        testIds.push(t.id);
      }
    });
  }
  const at = new Date().toISOString();
  const run = makeRun(project.id, testIds, {
    status: 'failed',
    trigger: { source: 'ci' },
    baseUrl: project.baseUrl,
    parallelWorkers: 4,
    passed: n - Math.ceil(n / 10),
    failed: Math.ceil(n / 10),
    createdAt: at,
    startedAt: at,
    finishedAt: at,
  });

  await store.runs.create(run);
  for (let i = 0; i < n; i += BATCH) {
    await store.transaction(async (tx) => {
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        const failed = j % 10 === 0;
        await tx.results.insert(project.id, {
          id: randomUUID(),
          runId: run.id,
          testId: testIds[j]!,
          testName: `Report test ${j}`,
          status: failed ? 'failed' : 'passed',
          attempt: 1,
          durationMs: 100 + (j % 400),
          failedStep: failed ? 0 : null,
          error: failed ? 'expected heading "Welcome" to be visible' : null,
          steps: [
            {
              index: 0,
              action: 'goto',
              description: `go to /page/${j}`,
              status: 'passed',
              durationMs: 40,
            },
          ],
          consoleErrors: [],
          failedRequests: [],
          artifacts: {},
          startedAt: at,
          finishedAt: at,
        });
      }
    });
  }
  const found = await findRun(store, run.id);
  if (!found) throw new Error('run not found after filling');
  return found;
}

/** The report source as it read tests before `infoByIds`: one `tests.get` per test, 20 at a time. */
function perTestSource(store: Store): ReportSource {
  const TEST_LOOKUPS_AT_ONCE = 20;
  return {
    runs: store.runs,
    results: store.results,
    projects: store.projects,
    scans: store.scans,
    tests: {
      async infoByIds(projectId, ids) {
        const out = [];
        for (let i = 0; i < ids.length; i += TEST_LOOKUPS_AT_ONCE) {
          const batch = ids.slice(i, i + TEST_LOOKUPS_AT_ONCE);
          const found = await Promise.all(batch.map((id) => store.tests.get(projectId, id)));
          for (const t of found) {
            if (t) out.push({ id: t.id, suite: t.suite, tags: t.tags, key: t.key });
          }
        }
        return out;
      },
    },
  };
}

/** Build the JSON report whole (every chunk read); its text and the milliseconds it took. */
async function jsonReport(
  source: ReportSource,
  found: { run: Run; project: Project },
): Promise<{ ms: number; text: string }> {
  const t0 = performance.now();
  const input = await loadReportInput(source, found);
  let text = '';
  for (const chunk of streamReport('json', input).chunks) text += chunk;
  return { ms: performance.now() - t0, text };
}

/** Milliseconds to read the run's test infos alone, the step the two ways differ in. */
async function lookupMs(source: ReportSource, run: Run): Promise<number> {
  const t0 = performance.now();
  const infos = await source.tests.infoByIds(run.projectId, run.testIds);
  if (infos.length !== run.testIds.length) throw new Error('tests missing from the lookup');
  return performance.now() - t0;
}

interface Row {
  dialect: string;
  batchedMs: number;
  perTestMs: number;
  lookupBatchedMs: number;
  lookupPerTestMs: number;
}

async function measure(dialect: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-report-'));
  const { store, dispose } = await openBenchStore(dialect, dir);
  try {
    const t0 = performance.now();
    const found = await fill(store, tests);
    console.log(
      `${dialect}: ${tests} tests and results stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const batched: number[] = [];
    const perTest: number[] = [];
    const lookupBatched: number[] = [];
    const lookupPerTest: number[] = [];
    const old = perTestSource(store);
    // One unmeasured build of each first (JIT, caches), then the two alternately.
    for (let i = 0; i <= repeat; i++) {
      const a = await jsonReport(old, found);
      const b = await jsonReport(store, found);
      if (a.text !== b.text) throw new Error(`${dialect}: the two reports differ`);
      if (!b.text.includes('"suite": "suite-')) throw new Error(`${dialect}: no suite in report`);
      const la = await lookupMs(old, found.run);
      const lb = await lookupMs(store, found.run);
      if (i === 0) continue;
      perTest.push(a.ms);
      batched.push(b.ms);
      lookupPerTest.push(la);
      lookupBatched.push(lb);
      console.log(
        `${dialect} #${i}: report per-test ${a.ms.toFixed(0)} ms, batched ${b.ms.toFixed(0)} ms; ` +
          `lookup alone ${la.toFixed(0)} ms, ${lb.toFixed(0)} ms`,
      );
    }
    return {
      dialect,
      batchedMs: median(batched),
      perTestMs: median(perTest),
      lookupBatchedMs: median(lookupBatched),
      lookupPerTestMs: median(lookupPerTest),
    };
  } finally {
    await dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const d of dialects) rows.push(await measure(d));
const measures: Measure[] = rows.flatMap((r) => [
  {
    name: `JSON report of a ${tests}-result run, ${r.dialect}`,
    value: r.batchedMs,
    unit: 'ms',
    baseline: r.perTestMs,
    baselineName: 'one tests.get per test',
    better: 'lower' as const,
  },
  {
    name: `its test lookups alone, ${r.dialect}`,
    value: r.lookupBatchedMs,
    unit: 'ms',
    baseline: r.lookupPerTestMs,
    baselineName: 'one tests.get per test',
    better: 'lower' as const,
  },
]);
const markdown = [
  `JSON report (loadReportInput + streamReport, read whole) of one run of ${tests} tests with one result each; median of ${repeat} builds, alternating; the lookup step is also timed on its own.`,
  '',
  table(
    [
      'store',
      'step',
      'tests.infoByIds (500 ids a query)',
      'tests.get per test (20 at a time)',
      'ratio',
    ],
    rows.flatMap((r) => [
      [
        r.dialect,
        'whole report',
        `${r.batchedMs.toFixed(0)} ms`,
        `${r.perTestMs.toFixed(0)} ms`,
        (r.batchedMs / r.perTestMs).toFixed(2),
      ],
      [
        r.dialect,
        'test lookups alone',
        `${r.lookupBatchedMs.toFixed(0)} ms`,
        `${r.lookupPerTestMs.toFixed(0)} ms`,
        (r.lookupBatchedMs / r.lookupPerTestMs).toFixed(2),
      ],
    ]),
  ),
].join('\n');
console.log(markdown);
emitResult({
  bench: 'report-build',
  command: `node bench/report-build.ts --tests ${tests} --dialects ${dialects.join(',')} --repeat ${repeat}`,
  measures,
  markdown,
});
