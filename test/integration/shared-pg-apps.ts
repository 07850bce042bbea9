import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import { startServer } from '../../src/api/server.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startApiServices, type ApiServices } from '../../src/engine/api-services.ts';
import { Engine } from '../../src/engine/engine.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import {
  createTestSchema,
  dropTestSchema,
  POSTGRES_URL,
  TEST_SECRET_KEY,
} from '../fixtures/engine/test-stores.ts';
import { passingExecutor } from './api-harness.ts';

// Several API "processes" in one test process: each app has its own store (its own connection
// pool), engine, event bus and rate limiter, and all of them sit on one fresh PostgreSQL schema.
// The engines are not started, so every run stays queued (active) until the test ends.

export interface SharedApp {
  url: string;
  app: FastifyInstance;
  store: Store;
  engine: Engine;
}

export interface SharedApps {
  schema: string;
  apps: SharedApp[];
  close(): Promise<void>;
}

/** Open `n` apps on one new PostgreSQL schema (dropped on close). */
export async function sharedPgApps(
  n: number,
  opts: { config?: Partial<Config>; logger?: Logger } = {},
): Promise<SharedApps> {
  const schema = await createTestSchema();
  const dir = mkdtempSync(join(tmpdir(), 'gl-shared-'));
  const config = loadConfig(
    {},
    {
      dataDir: dir,
      databaseUrl: POSTGRES_URL,
      host: '127.0.0.1',
      port: 0,
      rateLimit: 'off',
      logLevel: 'silent',
      ...opts.config,
    },
  );
  const apps: SharedApp[] = [];
  const queues: LocalQueue[] = [];
  const services: ApiServices[] = [];
  const close = async (): Promise<void> => {
    for (const a of apps) await a.app.close();
    for (const s of services) s.stop();
    for (const a of apps) await a.store.close();
    for (const q of queues) await q.close();
    await dropTestSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const store = await openStore({
        databaseUrl: POSTGRES_URL,
        schema,
        secretKey: TEST_SECRET_KEY,
      });
      const events = new InProcessEventBus();
      const queue = new LocalQueue(store, { pollIntervalMs: 50 });
      queues.push(queue);
      const engine = new Engine({
        store,
        queue,
        events,
        executor: passingExecutor,
        dataDir: dir,
        workers: 1,
      });
      const started = await startApiServices({ store, events });
      services.push(started);
      const app = await buildApp({
        store,
        engine,
        events,
        runStream: started.runStream,
        config,
        logger: opts.logger ?? false,
      });
      const url = await startServer(app, config);
      apps.push({ url, app, store, engine });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { schema, apps, close };
}
