import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { clientIp, RateLimiter, trustedProxyList } from '../../src/api/rate-limit.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember, createTriggerToken } from './auth-helpers.ts';

const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A server with limits on (the shared harness turns them off) and a project with one test. */
async function limited(config: Partial<Config>): Promise<{ h: Harness; projectId: string }> {
  const h = await startHarness({ config: { rateLimit: 'on', ...config } });
  harnesses.push(h);
  const p = await h.call('POST', '/api/v1/projects', { name: 'Limits', baseUrl: 'http://a.test' });
  await h.call('POST', '/api/v1/projects/limits/tests', {
    name: 'ok',
    status: 'approved',
    steps: [{ goto: '/' }],
  });
  return { h, projectId: p.body.id };
}

/** A response read to the end: an unread body would keep its connection busy past close(). */
interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** An anonymous request (no credential), optionally with extra headers. */
const anon = (h: Harness, path: string, headers: Record<string, string> = {}): Promise<Answer> =>
  send(h.url + path, { headers });

async function expect429(res: Answer, maxRetryAfter: number): Promise<void> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  const body = JSON.parse(res.text) as { code: string; error: string };
  expect(body.code).toBe('rate_limited');
  expect(body.error).toMatch(/Rate limit exceeded/);
}

describe('rate limits', () => {
  it('answers 429 with Retry-After after N anonymous requests (general tier, per IP)', async () => {
    const { h } = await limited({ rateLimits: { general: { max: 5, windowMs: MIN } } });
    for (let i = 0; i < 5; i++) {
      expect((await anon(h, '/api/v1/schemas/test.json')).status).toBe(200);
    }
    await expect429(await anon(h, '/api/v1/schemas/test.json'), 60);
    // Outside /api nothing is counted; health stays reachable for probes.
    expect((await anon(h, '/openapi.json')).status).toBe(200);
    expect((await anon(h, '/api/v1/health')).status).toBe(200);
    // A valid credential has its own budget, not the IP's.
    expect((await h.call('GET', '/api/v1/projects')).status).toBe(200);
  });

  it('limits sign-in attempts per IP (auth tier)', async () => {
    const { h } = await limited({ rateLimits: { auth: { max: 3, windowMs: 15 * MIN } } });
    const login = (): Promise<Answer> =>
      send(`${h.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: h.admin.email, password: 'wrong password!' }),
      });
    for (let i = 0; i < 3; i++) expect((await login()).status).toBe(401);
    await expect429(await login(), 15 * 60);
  });

  it('limits run creation per token, so one CI client cannot use up the others', async () => {
    const { h } = await limited({
      rateLimits: { token: { max: 3, windowMs: HOUR }, expensive: { max: 1, windowMs: HOUR } },
    });
    for (let i = 0; i < 3; i++) {
      expect((await h.call('POST', '/api/v1/projects/limits/runs', {})).status).toBe(202);
    }
    const over = await h.call('POST', '/api/v1/projects/limits/runs', {});
    errorBody(over, 429, 'rate_limited');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(3500);
    // Same IP (one NAT), another key: its own budget.
    const other = await createMember(h.store, { role: 'editor' });
    const res = await h.call(
      'POST',
      '/api/v1/projects/limits/runs',
      {},
      {
        authorization: `Bearer ${other.apiKey}`,
      },
    );
    expect(res.status).toBe(202);
  });

  it('a flood of bad tokens from one IP does not block a valid token from that IP', async () => {
    const { h, projectId } = await limited({
      rateLimits: { bad_credential: { max: 5, windowMs: 15 * MIN } },
    });
    const token = await createTriggerToken(h.store, projectId);
    const trigger = (bearer: string): Promise<Answer> =>
      send(`${h.url}/api/v1/projects/${projectId}/trigger`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
      });
    // The pipeline's token is in use before the flood starts.
    const first = await trigger(token);
    expect(first.status).toBe(202);
    // Ended before the token is used again: the project's `reject` policy would answer 409 to a
    // second run of the same key while this one still runs (it did once on a loaded machine).
    await h.engine.waitForRun((JSON.parse(first.text) as { runId: string }).runId, {
      timeoutMs: 60_000,
    });
    let lookups = 0;
    const findByHash = h.store.triggerTokens.findByHash.bind(h.store.triggerTokens);
    h.store.triggerTokens.findByHash = (hash) => {
      lookups += 1;
      return findByHash(hash);
    };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await trigger(`glt_bogus${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    // Past the budget a guessed token costs no lookup at all.
    expect(lookups).toBe(5);
    await expect429(await trigger('glt_bogus-again'), 15 * 60);
    expect(lookups).toBe(5);
    // The token in use keeps working from the flooded address, and so does the admin's key.
    expect((await trigger(token)).status).toBe(202);
    expect((await h.call('GET', '/api/v1/projects')).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless the socket address is a trusted proxy', async () => {
    const general = { general: { max: 3, windowMs: MIN } };
    const { h } = await limited({ rateLimits: general });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await anon(h, '/api/v1/schemas/test.json', {
        'x-forwarded-for': `203.0.113.${i}`,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);

    const trusted = await limited({ rateLimits: general, trustedProxies: ['127.0.0.1'] });
    for (let i = 0; i < 5; i++) {
      const res = await anon(trusted.h, '/api/v1/schemas/test.json', {
        'x-forwarded-for': `198.51.100.${i}`,
      });
      expect(res.status).toBe(200);
    }
    const same = { 'x-forwarded-for': '198.51.100.200' };
    for (let i = 0; i < 3; i++) {
      expect((await anon(trusted.h, '/api/v1/schemas/test.json', same)).status).toBe(200);
    }
    // A client-supplied first hop changes nothing: the proxy appended the real address.
    const spoof = { 'x-forwarded-for': '1.2.3.4, 198.51.100.200' };
    await expect429(await anon(trusted.h, '/api/v1/schemas/test.json', spoof), 60);
  });

  it('GREENLIGHT_RATE_LIMIT=off switches every limit off', async () => {
    const h = await startHarness({
      config: { rateLimit: 'off', rateLimits: { general: { max: 1, windowMs: MIN } } },
    });
    harnesses.push(h);
    for (let i = 0; i < 10; i++) {
      expect((await anon(h, '/api/v1/schemas/test.json')).status).toBe(200);
    }
  });
});

describe('limiter internals', () => {
  it('keeps at most maxKeys counters under 20 000 distinct clients', () => {
    let now = 0;
    const limiter = new RateLimiter({ maxKeys: 10_000, now: () => now });
    const spec = { max: 2, windowMs: MIN };
    for (let i = 0; i < 20_000; i++)
      limiter.hit(`general|10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, spec);
    expect(limiter.size).toBe(10_000);
    // Recent keys survive eviction and keep counting; windows reset after their time.
    limiter.hit('general|hot', spec);
    limiter.hit('general|hot', spec);
    expect(limiter.hit('general|hot', spec).allowed).toBe(false);
    expect(limiter.size).toBe(10_000);
    now += MIN;
    expect(limiter.hit('general|hot', spec)).toEqual({ allowed: true, retryAfterSeconds: 60 });
  });

  it('takes the nearest untrusted hop of X-Forwarded-For only behind a trusted proxy', () => {
    const trusted = trustedProxyList(['10.0.0.0/8', '::1']);
    expect(clientIp('203.0.113.9', '1.1.1.1', trusted)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.5', '1.1.1.1, 198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(clientIp('10.0.0.5', '198.51.100.7, 10.0.0.9', trusted)).toBe('198.51.100.7');
    expect(clientIp('::ffff:10.0.0.5', 'junk, 198.51.100.8', trusted)).toBe('198.51.100.8');
    expect(clientIp('10.0.0.5', undefined, trusted)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', '1.1.1.1', null)).toBe('10.0.0.5');
    expect(() => trustedProxyList(['not-an-ip'])).toThrow(/TRUSTED_PROXIES/);
  });
});
