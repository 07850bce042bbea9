import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL } from '../fixtures/engine/test-stores.ts';
import { createAdmin, createTriggerToken, type TestUser } from './auth-helpers.ts';
import { sharedPgApps, type SharedApps } from './shared-pg-apps.ts';

// Two API processes (two apps, each with its own store and limiter) on one PostgreSQL schema
// spend one budget: requests alternate between them and the limit holds for the sum. Each test
// comes from its own client address (X-Forwarded-For from a trusted 127.0.0.1), so the tests
// share one pair of apps without sharing budgets.

/** Long enough that no test run crosses a window boundary (windows are aligned to the epoch). */
const WINDOW = 1000 * 365 * 24 * 3600 * 1000;

let s: SharedApps;
let admin: TestUser;
let projectId: string;

beforeAll(async () => {
  s = await sharedPgApps(2, {
    config: {
      rateLimit: 'on',
      trustedProxies: ['127.0.0.1'],
      rateLimits: {
        general: { max: 6, windowMs: WINDOW },
        token_general: { max: 4, windowMs: WINDOW },
        bad_credential: { max: 4, windowMs: WINDOW },
      },
    },
  });
  admin = await createAdmin(s.apps[0]!.store);
  const res = await fetch(`${s.apps[0]!.url}/api/v1/projects`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${admin.apiKey}`,
      'content-type': 'application/json',
      'x-forwarded-for': '198.51.100.1',
    },
    body: JSON.stringify({ name: 'Limits', baseUrl: 'http://a.test' }),
  });
  projectId = ((await res.json()) as { id: string }).id;
  await fetch(`${s.apps[0]!.url}/api/v1/projects/${projectId}/tests`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${admin.apiKey}`,
      'content-type': 'application/json',
      'x-forwarded-for': '198.51.100.1',
    },
    body: JSON.stringify({ name: 'ok', status: 'approved', steps: [{ goto: '/' }] }),
  });
}, 120_000);
afterAll(async () => s?.close());

async function status(
  app: number,
  path: string,
  ip: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<number> {
  const res = await fetch(`${s.apps[app]!.url}${path}`, {
    ...init,
    headers: { ...init.headers, 'x-forwarded-for': ip },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('rate limits shared by two processes on one PostgreSQL', () => {
  it('anonymous requests: the general budget per IP is one for both processes', async () => {
    const ip = '203.0.113.10';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await status(i % 2, '/api/v1/schemas/test.json', ip));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await status(0, '/api/v1/schemas/test.json', ip)).toBe(429);
    expect(await status(1, '/api/v1/schemas/test.json', ip)).toBe(429);
    // Another address has its own budget.
    expect(await status(1, '/api/v1/schemas/test.json', '203.0.113.11')).toBe(200);
  });

  it('a burst at once on both processes: exactly the budget gets through', async () => {
    const ip = '203.0.113.40';
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => status(i % 2, '/api/v1/schemas/test.json', ip)),
    );
    expect(statuses.filter((x) => x === 200)).toHaveLength(6);
    expect(statuses.filter((x) => x === 429)).toHaveLength(14);
  });

  it('a credential: its budget is one for both processes, and another credential has its own', async () => {
    const one = await createAdmin(s.apps[0]!.store);
    const two = await createAdmin(s.apps[0]!.store);
    const get = (i: number, key: string) =>
      status(i, '/api/v1/projects', '203.0.113.20', {
        headers: { authorization: `Bearer ${key}` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push(await get(i % 2, one.apiKey));
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await get(1, two.apiKey)).toBe(200);
  });

  it('bad tokens: the budget per IP is shared, and a valid token from that IP still works', async () => {
    const ip = '203.0.113.30';
    const token = await createTriggerToken(s.apps[0]!.store, projectId);
    const trigger = (i: number, bearer: string) =>
      status(i, `/api/v1/projects/${projectId}/trigger`, ip, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ concurrency: { policy: 'queue' } }),
      });
    expect(await trigger(0, token)).toBe(202);
    expect(await trigger(1, token)).toBe(202);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await trigger(i % 2, `glt_bogus${i}`));
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(await trigger(0, 'glt_bogus-a')).toBe(429);
    expect(await trigger(1, 'glt_bogus-b')).toBe(429);
    // Each process now refuses the address before any lookup; the pipeline's token goes on.
    let lookups = 0;
    for (const app of s.apps) {
      const find = app.store.triggerTokens.findByHash.bind(app.store.triggerTokens);
      app.store.triggerTokens.findByHash = (hash) => {
        lookups += 1;
        return find(hash);
      };
    }
    expect(await trigger(0, 'glt_bogus-c')).toBe(429);
    expect(await trigger(1, 'glt_bogus-d')).toBe(429);
    expect(lookups).toBe(0);
    expect(await trigger(0, token)).toBe(202);
    expect(await trigger(1, token)).toBe(202);
  });

  it('stores keys as digests: no address or credential id in the table; old windows purged', async () => {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      const { rows } = await c.query<{ key: string; count: number }>(
        `select key, count from ${s.schema}.rate_limit_counters`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(5);
      for (const r of rows) {
        expect(r.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(r.key).not.toMatch(/203\.0\.113|user:|trigger:/);
      }
    } finally {
      await c.end();
    }
    const counters = s.apps[0]!.store.rateLimitCounters;
    await counters.hit('general|192.0.2.1', 0, 1000);
    expect(await counters.purge(Date.now())).toBe(1);
    expect(await counters.hit('general|192.0.2.1', 0, 1000)).toBe(1);
  });
});
