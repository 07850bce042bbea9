// Benchmark: Greenlight's lease queue (queue/local-queue.ts on store/jobs.ts) against
// graphile-worker on the same PostgreSQL, in one script so both see the same machine state
// (issue 13 asks whether the job engine should be graphile-worker's). Each gets its own schema.
// - throughput: N jobs enqueued in one batch, then claimed and completed by 1 and by 4
//   concurrent claimers in one process (ours: claim, then record a result row and mark the job
//   done in one transaction; graphile-worker: a task that does nothing, completion batched by it);
// - wake-up latency: an idle claimer on another connection, a job enqueued; how long until the
//   claimer holds it. Ours with LISTEN/NOTIFY (the default on PostgreSQL) and with the 1 s poll
//   alone (how it was before), and graphile-worker's (LISTEN/NOTIFY too).
// PostgreSQL: GREENLIGHT_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test).
//   node bench/queue.ts [--jobs 2000] [--samples 20] [--json]
import { EventEmitter } from 'node:events';
import { Logger, makeWorkerUtils, run as runGraphile, type Runner } from 'graphile-worker';
import { LocalQueue } from '../src/queue/local-queue.ts';
import { openStore, type Store } from '../src/store/connect.ts';
import { PgBroadcast, type BroadcastChannel } from '../src/store/pg-broadcast.ts';
import { createSchema } from '../test/helpers/cluster.ts';
import { makeResult, makeRun } from '../test/helpers/records.ts';
import {
  argOf,
  captureStdout,
  emitResult,
  median,
  percentile,
  table,
  type Measure,
} from './lib/result.ts';

captureStdout();
const PG_URL = process.env.GREENLIGHT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const JOBS = Number(argOf('jobs', '2000'));
const SAMPLES = Number(argOf('samples', '20'));
const CLAIMERS = [1, 4];
const drops: (() => Promise<void>)[] = [];

/** Milliseconds since `t0` (performance clock). */
const since = (t0: number): number => performance.now() - t0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A pause of 50–300 ms before each wake-up sample, so it lands anywhere in a poll period. */
const jitter = () => sleep(50 + Math.random() * 250);

async function ourStore(schema: string): Promise<Store> {
  const store = await openStore({ databaseUrl: PG_URL, schema });
  drops.push(() => store.close());
  return store;
}

async function ourChannel(schema: string): Promise<BroadcastChannel> {
  const broadcast = await PgBroadcast.open({ databaseUrl: PG_URL, schema, channels: ['jobs'] });
  drops.push(() => broadcast.close());
  return broadcast.channel('jobs');
}

/** A queued run of `n` jobs on `queue`, in one transaction (as the engine writes it). */
async function queuedRun(store: Store, queue: LocalQueue, projectId: string, n: number) {
  const testIds = Array.from({ length: n }, (_, i) => `t${i}`);
  const run = makeRun(projectId, testIds, { parallelWorkers: 16 });
  await store.transaction(async (tx) => {
    await tx.runs.create(run);
    await queue.enqueue(run, testIds, { tx });
  });
  return run;
}

interface Throughput {
  enqueueMs: number;
  processMs: number;
  /** Ours: time inside claim() and complete(), summed over every claimer. */
  claimMs?: number;
  completeMs?: number;
}

/** Ours: enqueue `JOBS`, then `claimers` loops claim and complete until every job is done. */
async function ourThroughput(claimers: number): Promise<Throughput> {
  const { schema, drop } = await createSchema(PG_URL);
  drops.push(drop);
  const store = await ourStore(schema);
  const queue = new LocalQueue(store, { wakeChannel: await ourChannel(schema) });
  const project = await store.projects.create({
    slug: 'bench',
    name: 'bench',
    baseUrl: 'http://127.0.0.1:1',
  });
  let t0 = performance.now();
  const run = await queuedRun(store, queue, project.id, JOBS);
  const enqueueMs = since(t0);
  let done = 0;
  let claimMs = 0;
  let completeMs = 0;
  const stop = new AbortController();
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: claimers }, async (_, i) => {
      for (;;) {
        let t = performance.now();
        const job = await queue.claim(`w${i}`, stop.signal);
        if (!job) return;
        claimMs += since(t);
        t = performance.now();
        await queue.complete(job, makeResult(run.id, job.testId));
        completeMs += since(t);
        if (++done === JOBS) stop.abort();
      }
    }),
  );
  const processMs = since(t0);
  await queue.close();
  return { enqueueMs, processMs, claimMs, completeMs };
}

const silent = new Logger(() => () => {});

/** graphile-worker: the same, with a task that does nothing. */
async function graphileThroughput(concurrency: number): Promise<Throughput> {
  const { schema, drop } = await createSchema(PG_URL);
  drops.push(drop);
  const utils = await makeWorkerUtils({ connectionString: PG_URL, schema, logger: silent });
  await utils.migrate();
  const specs = Array.from({ length: JOBS }, (_, i) => ({ identifier: 'noop', payload: { i } }));
  let t0 = performance.now();
  await utils.addJobs(specs);
  const enqueueMs = since(t0);
  let done = 0;
  let allRan!: () => void;
  const ran = new Promise<void>((r) => (allRan = r));
  t0 = performance.now();
  const runner = await runGraphile({
    connectionString: PG_URL,
    schema,
    concurrency,
    noHandleSignals: true,
    logger: silent,
    taskList: {
      noop: async () => {
        if (++done === JOBS) allRan();
      },
    },
  });
  await ran;
  // Completions are batched after the task returns: count until the table holds none.
  while ((await pendingGraphileJobs(utils.withPgClient.bind(utils), schema)) > 0) await sleep(2);
  const processMs = since(t0);
  await runner.stop();
  await utils.release();
  return { enqueueMs, processMs };
}

type WithClient = Awaited<ReturnType<typeof makeWorkerUtils>>['withPgClient'];
async function pendingGraphileJobs(withPgClient: WithClient, schema: string): Promise<number> {
  return withPgClient(async (c) => {
    const r = await c.query<{ n: string }>(`select count(*) as n from ${schema}._private_jobs`);
    return Number(r.rows[0]?.n ?? 0);
  });
}

/**
 * Ours: a claimer asleep on its own connection; a job queued from another connection; the time
 * from the enqueue's commit to the claimer holding the job.
 */
async function ourWakeUp(notify: boolean): Promise<number[]> {
  const { schema, drop } = await createSchema(PG_URL);
  drops.push(drop);
  const producerStore = await ourStore(schema);
  const consumerStore = await ourStore(schema);
  const producer = new LocalQueue(
    producerStore,
    notify ? { wakeChannel: await ourChannel(schema) } : {},
  );
  // The poll interval is the default one (1 s): with `notify` it is the fallback only.
  const consumer = new LocalQueue(
    consumerStore,
    notify ? { wakeChannel: await ourChannel(schema) } : {},
  );
  const project = await producerStore.projects.create({
    slug: 'bench',
    name: 'bench',
    baseUrl: 'http://127.0.0.1:1',
  });
  const samples: number[] = [];
  const signal = new AbortController().signal;
  for (let i = 0; i < SAMPLES; i++) {
    const claimed = consumer.claim('w1', signal);
    while (consumer.idleClaimers === 0) await sleep(1);
    await jitter();
    const run = await queuedRun(producerStore, producer, project.id, 1);
    const t0 = performance.now();
    const job = await claimed;
    samples.push(since(t0));
    if (job) await consumer.complete(job, makeResult(run.id, job.testId));
  }
  await producer.close();
  await consumer.close();
  return samples;
}

/** graphile-worker: an idle runner; a job added from another pool; enqueue to task start. */
async function graphileWakeUp(): Promise<number[]> {
  const { schema, drop } = await createSchema(PG_URL);
  drops.push(drop);
  const utils = await makeWorkerUtils({ connectionString: PG_URL, schema, logger: silent });
  await utils.migrate();
  const started = new EventEmitter();
  const runner: Runner = await runGraphile({
    connectionString: PG_URL,
    schema,
    concurrency: 1,
    noHandleSignals: true,
    logger: silent,
    taskList: { noop: async () => void started.emit('start', performance.now()) },
  });
  // Let it reach its idle state (LISTEN set up, the first empty fetch done).
  await sleep(500);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await jitter();
    const at = new Promise<number>((r) => started.once('start', r));
    await utils.addJob('noop', { i });
    const t0 = performance.now();
    samples.push((await at) - t0);
  }
  await runner.stop();
  await utils.release();
  return samples;
}

const fmt = (v: number, digits = 1): string => v.toFixed(digits);
const rate = (t: Throughput): number => JOBS / (t.processMs / 1000);
const total = (t: Throughput): number => JOBS / ((t.enqueueMs + t.processMs) / 1000);

try {
  console.log(`queue bench: ${JOBS} jobs per measure, ${SAMPLES} wake-up samples, PostgreSQL`);
  const ours = new Map<number, Throughput>();
  const theirs = new Map<number, Throughput>();
  for (const c of CLAIMERS) {
    ours.set(c, await ourThroughput(c));
    console.log(`  ours, ${c} claimer(s): ${fmt(rate(ours.get(c)!), 0)} jobs/s`);
    theirs.set(c, await graphileThroughput(c));
    console.log(`  graphile-worker, concurrency ${c}: ${fmt(rate(theirs.get(c)!), 0)} jobs/s`);
  }
  const wakeNotify = await ourWakeUp(true);
  const wakePoll = await ourWakeUp(false);
  const wakeGraphile = await graphileWakeUp();

  const throughputRows = CLAIMERS.flatMap((c) => {
    const o = ours.get(c)!;
    const g = theirs.get(c)!;
    return [
      [
        'Greenlight lease queue',
        c,
        fmt(JOBS / (o.enqueueMs / 1000), 0),
        fmt(rate(o), 0),
        fmt(total(o), 0),
        fmt(o.processMs / JOBS, 2),
        fmt(rate(o) / rate(g), 2),
      ],
      [
        'graphile-worker 0.18',
        c,
        fmt(JOBS / (g.enqueueMs / 1000), 0),
        fmt(rate(g), 0),
        fmt(total(g), 0),
        fmt(g.processMs / JOBS, 2),
        '1.00',
      ],
    ];
  });
  const throughput = table(
    [
      'queue',
      'claimers',
      'enqueue jobs/s',
      'claim+complete jobs/s',
      'enqueue+claim+complete jobs/s',
      'ms per job',
      'claim+complete ÷ graphile',
    ],
    throughputRows,
  );
  const wakeRow = (name: string, s: number[]) => [
    name,
    fmt(median(s)),
    fmt(percentile(s, 95)),
    fmt(Math.max(...s)),
  ];
  const wake = table(
    ['idle claimer on another connection', 'p50 ms', 'p95 ms', 'max ms'],
    [
      wakeRow('Greenlight, LISTEN/NOTIFY (now)', wakeNotify),
      wakeRow('Greenlight, 1 s poll only (before)', wakePoll),
      wakeRow('graphile-worker (LISTEN/NOTIFY)', wakeGraphile),
    ],
  );
  const split = CLAIMERS.map((c) => {
    const o = ours.get(c)!;
    return `${c} claimer(s): claim ${fmt((o.claimMs ?? 0) / JOBS, 2)} ms, complete ${fmt((o.completeMs ?? 0) / JOBS, 2)} ms per job (time inside each call)`;
  });
  console.log(`\n${throughput}\n\nGreenlight's split: ${split.join('; ')}\n\n${wake}`);

  const measures: Measure[] = [];
  for (const c of CLAIMERS) {
    const o = ours.get(c)!;
    const g = theirs.get(c)!;
    measures.push({
      name: `claim+complete, ${c} claimer(s)`,
      value: rate(o),
      unit: 'jobs/s',
      baseline: rate(g),
      baselineName: 'graphile-worker',
      better: 'higher',
    });
  }
  const o1 = ours.get(1)!;
  const g1 = theirs.get(1)!;
  measures.push(
    {
      name: 'overhead per job, 1 claimer',
      value: o1.processMs / JOBS,
      unit: 'ms',
      baseline: g1.processMs / JOBS,
      baselineName: 'graphile-worker',
      better: 'lower',
    },
    {
      name: 'wake-up latency p50, LISTEN/NOTIFY',
      value: median(wakeNotify),
      unit: 'ms',
      baseline: median(wakePoll),
      baselineName: '1 s poll (before)',
      better: 'lower',
    },
    {
      name: 'wake-up latency p50 vs graphile-worker',
      value: median(wakeNotify),
      unit: 'ms',
      baseline: median(wakeGraphile),
      baselineName: 'graphile-worker',
      better: 'lower',
    },
  );
  emitResult({
    bench: 'queue',
    command: `node bench/queue.ts --jobs ${JOBS} --samples ${SAMPLES}`,
    measures,
    markdown: [
      `${JOBS} jobs per row, enqueued in one batch, then claimed and completed in one process; ` +
        'ours records a result row with each completion, graphile-worker runs an empty task.',
      '',
      throughput,
      '',
      `Greenlight's split: ${split.join('; ')}.`,
      '',
      `${SAMPLES} samples each; a job queued 50–300 ms after the claimer went idle.`,
      '',
      wake,
    ].join('\n'),
  });
} finally {
  for (const d of drops.reverse()) await d().catch(() => undefined);
}
