import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../src/config.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import {
  createTestSchema,
  dropTestSchema,
  POSTGRES_URL,
  TEST_SECRET_KEY,
} from '../fixtures/engine/test-stores.ts';
import { startTestApi, type TestApi } from '../helpers/test-api.ts';

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
  const apps: TestApi[] = [];
  const close = async (): Promise<void> => {
    for (const a of apps) await a.close();
    for (const a of apps) await a.store.close();
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
      const started = await startTestApi({
        store: { store, dir, databaseUrl: POSTGRES_URL },
        startEngine: false,
        workers: 1,
        ...opts,
      }).catch(async (e: unknown) => {
        await store.close();
        throw e;
      });
      apps.push(started);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { schema, apps, close };
}
