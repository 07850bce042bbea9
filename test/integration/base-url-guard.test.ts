import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type Harness } from './api-harness.ts';

// Issue 10 B1: an editor could point a project or environment at loopback or cloud metadata and
// read it back through a run; the URL is now refused when it is saved, naming the "base URL".
let h: Harness;
let open: Harness;
beforeAll(async () => {
  h = await startHarness();
  open = await startHarness({ config: { allowPrivateUrls: ['loopback'] } });
});
afterAll(async () => {
  await h.close();
  await open.close();
});

const hostile = [
  'http://127.0.0.1:8080/',
  'http://169.254.169.254/latest/meta-data',
  'http://10.0.0.1/',
  'http://[::1]/',
  'http://localhost:3000/',
];

describe('saving a base URL', () => {
  it('refuses loopback, private and metadata targets for a new project with a 400', async () => {
    for (const baseUrl of hostile) {
      const res = await h.call('POST', '/api/v1/projects', { name: 'Probe', baseUrl });
      const body = errorBody(res, 400, 'validation_failed');
      expect(body?.error, baseUrl).toMatch(/^base URL host ".+" resolves to .* address/);
    }
    const list = await h.call('GET', '/api/v1/projects');
    expect(list.body?.items).toEqual([]);
  });

  it('refuses them when a project or an environment is changed, and keeps the old value', async () => {
    const created = await h.call('POST', '/api/v1/projects', {
      name: 'Shop',
      baseUrl: 'https://shop.example.com',
    });
    expect(created.status).toBe(201);
    const patch = await h.call('PATCH', '/api/v1/projects/shop', {
      baseUrl: 'http://169.254.169.254/',
    });
    expect(errorBody(patch, 400, 'validation_failed')?.error).toMatch(/^base URL host/);
    expect((await h.call('GET', '/api/v1/projects/shop')).body?.baseUrl).toBe(
      'https://shop.example.com',
    );

    const env = await h.call('PUT', '/api/v1/projects/shop/environments/staging', {
      baseUrl: 'http://127.0.0.1:5432/',
    });
    expect(errorBody(env, 400, 'validation_failed')?.error).toMatch(/^base URL host/);
    expect((await h.call('GET', '/api/v1/projects/shop/environments/staging')).status).toBe(404);
  });

  it('accepts public hosts and hosts without a DNS record yet (preview deployments)', async () => {
    for (const baseUrl of ['https://example.com/', 'https://pr-12.preview.invalid/']) {
      const res = await h.call('PUT', '/api/v1/projects/shop/environments/preview', { baseUrl });
      expect(res.status, baseUrl).toBeLessThan(300);
    }
  });

  it('accepts what GREENLIGHT_ALLOW_PRIVATE_URLS allows', async () => {
    const res = await open.call('POST', '/api/v1/projects', {
      name: 'Local',
      baseUrl: 'http://127.0.0.1:8080/',
    });
    expect(res.status).toBe(201);
    const other = await open.call('PATCH', '/api/v1/projects/local', {
      baseUrl: 'http://10.0.0.1/',
    });
    expect(other.status).toBe(400);
  });
});
