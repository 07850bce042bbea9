import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { sql } from 'kysely';
import type { Config } from '../../src/config.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import type { PrFeedback } from '../../src/integrations/pr-feedback.ts';
import type { Store } from '../../src/store/connect.ts';
import { openTestStore, type TestDialect } from '../fixtures/engine/test-stores.ts';
import { apiCaller, type ApiCall } from '../helpers/api-call.ts';
import { cannedOutcome, startTestApi } from '../helpers/test-api.ts';
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
  call: ApiCall;
  /** Wait until no run's feedback is pending (bounded). */
  settled(): Promise<void>;
  /** Every row of every table, as text (to look for secrets). */
  dumpDatabase(): Promise<string>;
  close(): Promise<void>;
}

const scripted: TestExecutor = async (job) =>
  cannedOutcome(
    job,
    job.test.name.startsWith('fail') ? 'expected heading "Welcome" to be visible' : null,
    3,
  );

export async function startFeedbackHarness(
  dialect: TestDialect,
  forges: Partial<Pick<Config, 'githubApiUrl' | 'gitlabApiUrl' | 'allowPrivateUrls'>>,
): Promise<FeedbackHarness> {
  const ts = await openTestStore(dialect);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const api = await startTestApi({
    store: ts,
    config: {
      logLevel: 'trace',
      // The fake forges listen on loopback, which the SSRF guard refuses by default.
      allowPrivateUrls: ['loopback'],
      ...forges,
    },
    executor: scripted,
    pollIntervalMs: 25,
    logger: pino({ level: 'trace' }, sink),
    feedback: { timeoutMs: 5_000, retryUnitMs: 10 },
  });
  const { store, url, app } = api;
  // Asked for above, so started.
  const feedback = api.feedback!;
  const admin = await createAdmin(store);
  const call = apiCaller(url);

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
      await api.close();
      await ts.dispose();
    },
  };
}
