import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/connect.ts';

/** The PostgreSQL benches use (each in a schema of its own, dropped afterwards). */
const BENCH_PG_URL = process.env.GREENLIGHT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchStore {
  store: Store;
  dispose(): Promise<void>;
}

/** A fresh, migrated store: a SQLite file in `dir`, or a new PostgreSQL schema. */
export async function openBenchStore(dialect: string, dir: string): Promise<BenchStore> {
  if (dialect === 'sqlite') {
    const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'bench.db')}` });
    return { store, dispose: () => store.close() };
  }
  const schema = `glbench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const store = await openStore({ databaseUrl: BENCH_PG_URL, schema });
  return {
    store,
    async dispose() {
      await store.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}
