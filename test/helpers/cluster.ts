// Greenlight as several real processes on one PostgreSQL schema: `greenlight serve`s and
// `greenlight worker`s started from the CLI, and a suite of cheap browser tests for them. Shared
// by the scale-out test and bench/workers.ts, so neither imports vitest from here.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import type { Store } from '../../src/store/connect.ts';
import { TEST_SECRET_KEY, type TestStore } from '../fixtures/engine/test-stores.ts';
import { startCli } from './cli.ts';

/** The URL with `search_path` set, so a process given only DATABASE_URL uses that schema. */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.href;
}

/** A new empty schema in the database at `url`, and a way to drop it. */
export async function createSchema(
  url: string,
): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `gl_${randomBytes(6).toString('hex')}`;
  const run = async (q: string): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await run(`create schema ${schema}`);
  return { schema, drop: () => run(`drop schema ${schema} cascade`) };
}

/** What every process of one cluster shares: the schema, the data folder and the secret key. */
export function clusterEnv(c: {
  databaseUrl: string;
  schema: string;
  dataDir: string;
  secretKeyHex: string;
}): Record<string, string> {
  return {
    DATABASE_URL: urlWithSchema(c.databaseUrl, c.schema),
    GREENLIGHT_DATA_DIR: c.dataDir,
    GREENLIGHT_SECRET_KEY: c.secretKeyHex,
  };
}

/** One started CLI process. */
export interface ClusterProcess {
  child: ChildProcess;
  pid: number;
  /** The API's URL (serve only). */
  url: string | null;
  output(): string;
  /** Send the signal and resolve once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** What a started process prints once it is up. */
const READY = { serve: /Greenlight listening on (http:\/\/\S+)/, worker: /taking jobs/ };

/**
 * Start `greenlight serve` or `greenlight worker` with `env`; resolves once it says it is up.
 * Fails (with its output) if it exits first or takes longer than `timeoutMs`.
 */
export function startProcess(
  kind: 'serve' | 'worker',
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<ClusterProcess> {
  const args = kind === 'serve' ? ['serve', '--no-demo', '--port', '0'] : ['worker'];
  const child = startCli(args, env);
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: ClusterProcess = {
    child,
    pid: child.pid ?? -1,
    url: null,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`greenlight ${kind} did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = READY[kind].exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.url = m[1] ?? null;
      resolve(proc);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`greenlight ${kind} exited before it was up:\n${out}`));
    });
  });
}

/** The cluster of a PostgreSQL test store: its schema, `dataDir` and the tests' secret key. */
export function testCluster(
  t: Pick<TestStore, 'databaseUrl' | 'schema'>,
  dataDir: string,
): Parameters<typeof clusterEnv>[0] {
  if (!t.schema) throw new Error('a cluster needs a PostgreSQL test store');
  const secretKeyHex = TEST_SECRET_KEY.toString('hex');
  return { databaseUrl: t.databaseUrl, schema: t.schema, dataDir, secretKeyHex };
}

/**
 * Start one process of a test's cluster: the cluster's shared env, a 1 s stop grace (tests stop
 * their processes quickly), then `env`; it joins `procs`, which the test's cleanup stops.
 */
export async function startInCluster(
  kind: 'serve' | 'worker',
  cluster: Parameters<typeof clusterEnv>[0],
  opts: { env?: Record<string, string>; procs: ClusterProcess[]; timeoutMs: number },
): Promise<ClusterProcess> {
  const env = { ...clusterEnv(cluster), GREENLIGHT_STOP_GRACE_MS: '1000', ...opts.env };
  const p = await startProcess(kind, env, opts.timeoutMs);
  opts.procs.push(p);
  return p;
}

/**
 * A project of `n` approved tests against `siteUrl`, each a page load and one expectation (a
 * few hundred ms in a warm browser), so a run's time is mostly the processes sharing it.
 */
export async function seedSuite(
  store: Store,
  siteUrl: string,
  n: number,
  /** Every `every`-th test waits `ms` on its page: one a worker is sure to be inside. */
  slow?: { every: number; ms: number },
): Promise<{ projectId: string; testIds: string[]; slowIds: Set<string> }> {
  const project = await store.projects.create({
    slug: `scale-${randomBytes(3).toString('hex')}`,
    name: 'Scale-out',
    baseUrl: siteUrl,
    parallelWorkers: 16,
  });
  const testIds: string[] = [];
  const slowIds = new Set<string>();
  for (let i = 1; i <= n; i++) {
    const isSlow = slow !== undefined && i % slow.every === 0;
    const doc = parseTestDocument({
      name: `Page ${i}`,
      steps: [
        { goto: `/?t=${i}` },
        ...(isSlow ? [{ wait: slow.ms }] : []),
        { expect: { visible: { css: 'body' } } },
      ],
    });
    const id = (await store.tests.create(project.id, doc, { source: 'api', status: 'approved' }))
      .id;
    testIds.push(id);
    if (isSlow) slowIds.add(id);
  }
  return { projectId: project.id, testIds, slowIds };
}
