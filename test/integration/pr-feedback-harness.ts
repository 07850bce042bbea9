import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { sql } from 'kysely';
import { buildApp } from '../../src/api/app.ts';
import { startApiServices } from '../../src/engine/api-services.ts';
import { startServer } from '../../src/api/server.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { TestExecutor, TestOutcome } from '../../src/engine/executor.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { PrFeedback } from '../../src/integrations/pr-feedback.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { Store } from '../../src/store/connect.ts';
import { openTestStore, type TestDialect } from '../fixtures/engine/test-stores.ts';
import type { ApiResponse } from './api-harness.ts';
import { createAdmin } from './auth-helpers.ts';
import { seedProject } from './trigger-harness.ts';

// A real server on 127.0.0.1 with PR feedback wired to fake forges: the store (SQLite or
// PostgreSQL), the engine with an executor scripted by test name (`fail …` fails, anything else
// passes), the PrFeedback listener, and every log line of the process captured at trace level.

export interface FeedbackHarness {
  url: string;
  app: FastifyInstance;
  store: Store;
  feedback: PrFeedback;
  /** Everything pino wrote (server, engine, feedback), one JSON line per entry. */
  logs: string[];
  adminKey: string;
  project(slug: string, tests: string[]): Promise<{ id: string; slug: string; token: string }>;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  /** Wait until no run's feedback is pending (bounded). */
  settled(): Promise<void>;
  /** Every row of every table, as text (to look for secrets). */
  dumpDatabase(): Promise<string>;
  close(): Promise<void>;
}

const scripted: TestExecutor = async (job) => {
  const at = new Date().toISOString();
  const failed = job.test.name.startsWith('fail');
  const outcome: TestOutcome = {
    testId: job.test.id,
    testName: job.test.name,
    status: failed ? 'failed' : 'passed',
    durationMs: 3,
    failedStep: failed ? 0 : null,
    error: failed ? 'expected heading "Welcome" to be visible' : null,
    steps: [
      {
        index: 0,
        action: 'goto',
        description: 'go to /',
        status: failed ? 'failed' : 'passed',
        durationMs: 3,
      },
    ],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: at,
    finishedAt: at,
  };
  return outcome;
};

export async function startFeedbackHarness(
  dialect: TestDialect,
  forges: Partial<Pick<Config, 'githubApiUrl' | 'gitlabApiUrl' | 'allowPrivateUrls'>>,
): Promise<FeedbackHarness> {
  const ts = await openTestStore(dialect);
  const { store } = ts;
  const config = loadConfig(
    {},
    {
      dataDir: ts.dir,
      host: '127.0.0.1',
      port: 0,
      rateLimit: 'off',
      logLevel: 'trace',
      // The fake forges listen on loopback, which the SSRF guard refuses by default.
      allowPrivateUrls: ['loopback'],
      ...forges,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  const admin = await createAdmin(store);
  const events = new InProcessEventBus();
  const queue = new LocalQueue(store, { pollIntervalMs: 25 });
  const engine = new Engine({
    store,
    queue,
    events,
    executor: scripted,
    dataDir: ts.dir,
    workers: 2,
    stopGraceMs: 200,
    logger,
  });
  await engine.start();
  const feedback = new PrFeedback({
    store,
    events,
    config,
    logger,
    timeoutMs: 5_000,
    retryUnitMs: 10,
  });
  feedback.start();
  const services = await startApiServices({ store, events });
  const app = await buildApp({
    runStream: services.runStream,
    store,
    engine,
    events,
    config,
    logger,
    feedback,
  });
  const url = await startServer(app, config);

  const call: FeedbackHarness['call'] = async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(path.startsWith('http') ? path : url + path, init);
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
  };

  const project: FeedbackHarness['project'] = (slug, tests) =>
    seedProject(call, store, admin.apiKey, slug, tests, `Shop ${slug}`);

  return {
    url,
    app,
    store,
    feedback,
    logs,
    adminKey: admin.apiKey,
    project,
    call,
    async settled() {
      for (let i = 0; i < 400; i++) {
        await feedback.idle();
        if (feedback.heldTokens === 0) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('PR feedback still pending');
    },
    async dumpDatabase() {
      const tables =
        dialect === 'sqlite'
          ? await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table'`.execute(store.db)
          : await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
              store.db,
            );
      const out: string[] = [];
      for (const { name } of tables.rows) {
        const rows = await sql`select * from ${sql.table(name)}`.execute(store.db);
        out.push(`${name}: ${JSON.stringify(rows.rows)}`);
      }
      return out.join('\n');
    },
    async close() {
      await app.close();
      services.stop();
      await feedback.stop();
      await engine.stop();
      await queue.close();
      await ts.dispose();
    },
  };
}
