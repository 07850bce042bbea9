// Benchmark: what rate limits shared across processes (PostgreSQL counters, one upsert per
// counted request) cost per request, against the same app on the same PostgreSQL with limits
// off, measured in this script. Requests go through Fastify's inject, 16 at a time, so the
// numbers are the server's own work without a network in between.
//   node bench/rate-limit.ts [--requests 2000] [--json]
// PostgreSQL: GREENLIGHT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { RateLimiter } from '../src/api/memory-rate-limit.ts';
import { SharedRateLimiter } from '../src/api/shared-rate-limit.ts';
import { createUserInDefaultWorkspace } from '../src/auth/accounts.ts';
import { openStore, type Store } from '../src/store/connect.ts';
import { startTestApi, type TestApi } from '../test/helpers/test-api.ts';
import { argOf, captureStdout, emitResult, median, table, type Measure } from './lib/result.ts';

captureStdout();
const requests = Number(argOf('requests', '2000'));
const CONCURRENCY = 16;
const PG_URL = process.env.GREENLIGHT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `glbench_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'gl-rl-bench-'));
const HOUR = 3_600_000;

async function admin(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(q).finally(() => c.end());
}

/** An API on the benchmark's store, its engine idle: only its HTTP work is measured. */
function app(store: Store, limits: 'on' | 'off'): Promise<TestApi> {
  return startTestApi({
    store: { store, dir, databaseUrl: PG_URL },
    startEngine: false,
    config: {
      rateLimit: limits,
      // Budgets no scenario reaches, except bad_credential: the flood is past it on purpose.
      rateLimits: {
        general: { max: 1e9, windowMs: HOUR },
        token_general: { max: 1e9, windowMs: HOUR },
        bad_credential: { max: 1, windowMs: HOUR },
      },
    },
  });
}

/** Requests per second for `n` requests, CONCURRENCY at a time, checking every status. */
async function rate(
  { app: a }: TestApi,
  req: { url: string; headers?: Record<string, string> },
  expected: number,
  n: number,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        const res = await a.inject({ method: 'GET', ...req });
        if (res.statusCode !== expected) {
          throw new Error(`${req.url}: expected ${expected}, got ${res.statusCode}`);
        }
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

const rows: (string | number)[][] = [];
const measures: Measure[] = [];
await admin(`create schema ${schema}`);
const store = await openStore({
  databaseUrl: PG_URL,
  schema,
  secretKey: randomBytes(32),
});
try {
  const { user, workspace } = await createUserInDefaultWorkspace(store, {
    email: 'bench@example.test',
    password: 'bench-pass-123',
    admin: true,
    role: 'admin',
  });
  const { token } = await store.apiKeys.create({
    userId: user.id,
    workspaceId: workspace.id,
    name: 'bench',
    scopes: ['admin'],
  });
  const off = await app(store, 'off');
  const on = await app(store, 'on');
  const scenarios = [
    {
      name: 'anonymous GET (general tier)',
      req: { url: '/api/v1/schemas/test.json' },
      off: 200,
      on: 200,
    },
    {
      name: 'API key GET /projects (token_general tier)',
      req: { url: '/api/v1/projects', headers: { authorization: `Bearer ${token}` } },
      off: 200,
      on: 200,
    },
    {
      name: 'bad key flood past its budget',
      req: { url: '/api/v1/projects', headers: { authorization: 'Bearer glk_bogus' } },
      off: 401,
      on: 429,
    },
  ];
  // Warm-up (JIT, connection pools), and the flood's address over its budget.
  for (const s of scenarios) {
    await rate(off, s.req, s.off, 200).catch(() => 0);
    await rate(on, s.req, s.on, 200).catch(() => 0);
  }
  for (const s of scenarios) {
    const offs: number[] = [];
    const ons: number[] = [];
    for (let round = 0; round < 3; round++) {
      offs.push(await rate(off, s.req, s.off, requests));
      ons.push(await rate(on, s.req, s.on, requests));
    }
    const [o, n] = [median(offs), median(ons)];
    rows.push([s.name, n.toFixed(0), o.toFixed(0), (n / o).toFixed(2)]);
    measures.push({
      name: `${s.name} req/s`,
      value: n,
      unit: 'req/s',
      baseline: o,
      baselineName: 'limits off',
      better: 'higher',
    });
  }
  // The counters alone, one hit after another: the database round trip against memory.
  const spec = { max: 1e9, windowMs: HOUR };
  const memory = new RateLimiter();
  const shared = new SharedRateLimiter({ store });
  const per = async (hit: (i: number) => unknown, n: number): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < n; i++) await hit(i);
    return ((performance.now() - start) * 1000) / n;
  };
  const memUs = await per((i) => memory.hit(`general|10.0.${i % 200}.1`, spec), requests);
  const sharedUs = await per((i) => shared.hit(`general|10.0.${i % 200}.1`, spec), requests);
  rows.push([
    'one hit, sequential (µs)',
    sharedUs.toFixed(1),
    `${memUs.toFixed(2)} (memory)`,
    (sharedUs / memUs).toFixed(0),
  ]);
  measures.push({
    name: 'one counted hit',
    value: sharedUs,
    unit: 'µs',
    baseline: memUs,
    baselineName: 'in-memory limiter',
    better: 'lower',
  });
  await off.close();
  await on.close();
} finally {
  await store.close();
  await admin(`drop schema ${schema} cascade`);
  rmSync(dir, { recursive: true, force: true });
}

const markdown = table(['scenario', 'shared limits', 'baseline (limits off)', 'ratio'], rows);
console.log(markdown);
emitResult({
  bench: 'rate-limit',
  command: `node bench/rate-limit.ts --requests ${requests}`,
  measures,
  markdown,
});
