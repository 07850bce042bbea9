import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

/**
 * Every route in the OpenAPI document, called with no credential, answers 401 unless it is one
 * of the few public ones. Public is opt-in: a route outside /api (the sentrik-compatible
 * /scan-gate) once answered anonymous callers because only /api was guarded.
 */
const PUBLIC = new Set([
  'GET /api/v1/health',
  // Readiness probes come from orchestrators without credentials, like liveness.
  'GET /api/v1/ready',
  'GET /api/v1/schemas/test.json',
  'GET /api/v1/schemas/report.json',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/forgot-password',
  'POST /api/v1/auth/reset-password',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/verify-email',
  'POST /api/v1/auth/resend-verification',
  // Sign-in through a provider starts anonymous, and the sign-in page lists the providers.
  'GET /api/v1/auth/providers',
  'GET /api/v1/auth/oidc/{provider}/start',
  'GET /api/v1/auth/oidc/{provider}/callback',
  'GET /scan-gate/health',
  'GET /scan-gate/projects/{project}/health',
]);

interface OpenApi {
  paths: Record<string, Record<string, { security?: unknown[] }>>;
}

describe('route authentication', () => {
  let h: TriggerHarness;
  beforeAll(async () => {
    h = await startTriggerHarness();
  });
  afterAll(() => h.close());

  it('refuses every non-public route to an anonymous caller with 401', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body as OpenApi;
    const checked: string[] = [];
    const open: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const m = method.toUpperCase();
        if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) continue;
        const key = `${m} ${path}`;
        const concrete = path.replace(/\{[^}]+\}/g, 'x1');
        const res = await h.call(m, concrete, m === 'GET' || m === 'DELETE' ? undefined : {});
        checked.push(key);
        if (PUBLIC.has(key)) continue;
        // A legacy unversioned path only redirects; its target checks the credential.
        if (res.status === 308) continue;
        // sentrik features Greenlight lacks answer 501 to anyone: there is nothing behind them.
        if (res.status === 501 && path.includes('/api/')) continue;
        if (res.status !== 401) open.push(`${key} → ${res.status}`);
      }
    }
    expect(open).toEqual([]);
    expect(checked.some((k) => k.startsWith('POST /scan-gate/'))).toBe(true);
    expect(checked.length).toBeGreaterThan(50);
  });
});
