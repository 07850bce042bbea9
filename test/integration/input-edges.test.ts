import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

/**
 * Hostile and odd inputs at the edge: each gets a clear 4xx in the one error shape, and nothing
 * is stored. Deep JSON once answered 500 (9,000 levels) or was stored and broke the diff and
 * export later (2,000 levels).
 */
describe('input edges', () => {
  let h: TriggerHarness;
  let admin: Record<string, string>;

  beforeAll(async () => {
    h = await startTriggerHarness();
    await h.project('shop', ['pass home']);
    admin = { authorization: `Bearer ${h.admin.apiKey}` };
  });
  afterAll(() => h.close());

  const raw = async (
    method: string,
    path: string,
    body: string,
    contentType = 'application/json',
  ): Promise<{ status: number; body: { code?: string; error?: string } }> => {
    const res = await fetch(`${h.url}${path}`, {
      method,
      headers: { ...admin, 'content-type': contentType },
      body,
    });
    return { status: res.status, body: (await res.json()) as { code?: string; error?: string } };
  };

  it('refuses JSON nested deeper than 64 levels, whatever the route', async () => {
    for (const depth of [65, 2_000, 9_000]) {
      const deep = '['.repeat(depth) + ']'.repeat(depth);
      const body = `{"name":"x","steps":[{"goto":"/"}],"meta":${deep}}`;
      const res = await raw('POST', '/api/v1/projects/shop/tests', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'bad_request', error: expect.stringMatching(/64/) });
    }
    const tests = await h.call('GET', '/api/v1/projects/shop/tests', undefined, admin);
    expect((tests.body as { items: unknown[] }).items).toHaveLength(1);
    // Strings holding brackets are not nesting.
    const ok = await raw(
      'POST',
      '/api/v1/tests/validate',
      JSON.stringify({ content: '['.repeat(500), format: 'yaml' }),
    );
    expect(ok.status).toBe(200);
  });

  it('refuses a deep test file at import and validation', async () => {
    let yaml = 'name: deep\nsteps:\n  - goto: /\nmeta: ';
    yaml += '['.repeat(100) + ']'.repeat(100) + '\n';
    const res = await h.call(
      'POST',
      '/api/v1/tests/validate',
      { content: yaml, format: 'yaml' },
      admin,
    );
    expect(JSON.stringify(res.body)).toMatch(/nested deeper than 64 levels/);
  });

  it('refuses a body in another charset than UTF-8 with 415', async () => {
    const res = await raw(
      'POST',
      '/api/v1/projects',
      JSON.stringify({ name: 'Utf16', baseUrl: 'https://a.example' }),
      'application/json; charset=utf-16',
    );
    expect(res).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
    const list = await h.call('GET', '/api/v1/projects', undefined, admin);
    expect(JSON.stringify(list.body)).not.toContain('Utf16');
  });

  it('refuses a JSON string as a data set, and NUL characters in any field', async () => {
    const str = await raw('PUT', '/api/v1/projects/shop/data-sets/users', '"email\\na@b.c"');
    expect(str).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    const sets = await h.call('GET', '/api/v1/projects/shop/data-sets', undefined, admin);
    expect(JSON.stringify(sets.body)).not.toContain('users');
    const nul = await raw(
      'POST',
      '/api/v1/projects',
      JSON.stringify({ name: 'Nul\u0000Name', baseUrl: 'https://a.example' }),
    );
    expect(nul).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it('answers a path with bad percent-encoding in the documented error shape', async () => {
    const res = await fetch(`${h.url}/api/v1/projects/%zz`, { headers: admin });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'the URL path is not valid percent-encoding',
      code: 'bad_request',
    });
  });
});
