import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type Harness } from './api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ bodyLimit: 16 * 1024 });
});
afterAll(async () => {
  await h?.close();
});

describe('system routes', () => {
  it('reports health with version and database', async () => {
    const res = await h.call('GET', '/api/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'sqlite' });
    expect(res.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isInteger(res.body.uptimeSeconds)).toBe(true);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await h.call('GET', '/api/v1/health', undefined, { 'x-request-id': 'ci-42' });
    expect(traced.headers.get('x-request-id')).toBe('ci-42');
    const odd = await h.call('GET', '/api/v1/health', undefined, { 'x-request-id': 'a b\tc' });
    expect(odd.headers.get('x-request-id')).not.toBe('a b\tc');
  });

  it('serves the test JSON Schema', async () => {
    const res = await h.call('GET', '/api/v1/schemas/test.json');
    expect(res.status).toBe(200);
    expect(res.body.$id).toBe('https://greenlight.dev/schemas/test.json');
    expect(res.body.properties.steps).toBeDefined();
  });

  it('serves the OpenAPI document listing every resource, and Swagger UI', async () => {
    const res = await h.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/api/v1/health',
      '/api/v1/projects',
      '/api/v1/projects/{id}',
      '/api/v1/projects/{id}/environments/{name}',
      '/api/v1/projects/{id}/tests',
      '/api/v1/projects/{id}/tests/{testId}/approve',
      '/api/v1/projects/{id}/tests/bulk-review',
      '/api/v1/projects/{id}/runs',
      '/api/v1/projects/{id}/runs/{runId}/events',
    ]) {
      expect(paths).toContain(p);
    }
    expect(paths.some((p) => p.startsWith('/docs'))).toBe(false);
    // One run event protocol, documented once for both of its mounts.
    const byId = res.body.paths['/api/v1/runs/{runId}/events'].get;
    const scoped = res.body.paths['/api/v1/projects/{id}/runs/{runId}/events'].get;
    expect(scoped.description).toBe(byId.description);
    expect(scoped.description).toMatch(/`snapshot`.*`log`.*`result`.*`done`.*Last-Event-ID/s);
    expect(scoped.description).not.toMatch(/run\.state|test\.finished/);
    for (const op of [byId, scoped]) {
      expect(op.parameters.map((q: { name: string }) => q.name)).toContain('lastEventId');
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '204']));
    }
    const create = res.body.paths['/api/v1/projects'].post;
    expect(create.requestBody.content['application/json'].schema).toBeDefined();
    const docs = await fetch(`${h.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('declares its security schemes, and every route says which it takes', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    const schemes = doc.components.securitySchemes;
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(schemes.sessionCookie).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'access_token',
    });
    expect(schemes.csrfToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-CSRF-Token' });
    expect(doc.paths['/api/v1/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
    const guarded = Object.entries(
      doc.paths as Record<string, Record<string, { security?: unknown[] }>>,
    )
      .filter(([p]) => p.startsWith('/api/v1/projects'))
      .flatMap(([, ops]) => Object.values(ops));
    expect(guarded.length).toBeGreaterThan(20);
    for (const op of guarded) {
      expect(op.security).toEqual(
        expect.arrayContaining([
          { bearerAuth: [] },
          { apiKeyHeader: [] },
          { sessionCookie: [], csrfToken: [] },
        ]),
      );
    }
    // What "Try it out" sends for each declared header scheme is accepted.
    const headerOf = {
      bearerAuth: { authorization: `Bearer ${h.admin.apiKey}` },
      apiKeyHeader: { [schemes.apiKeyHeader.name]: h.admin.apiKey },
    };
    for (const headers of Object.values(headerOf)) {
      const res = await fetch(`${h.url}/api/v1/projects`, { headers });
      expect(res.status).toBe(200);
    }
    expect((await fetch(`${h.url}/api/v1/projects`)).status).toBe(401);
  });

  it('answers an unknown route with the error shape', async () => {
    errorBody(await h.call('GET', '/api/v1/nope'), 404, 'not_found');
    errorBody(await h.call('DELETE', '/api/v1/projects'), 404, 'not_found');
  });
});

describe('projects', () => {
  it('creates a project with a slug from its name, reads it by id and slug', async () => {
    const res = await h.call('POST', '/api/v1/projects', {
      name: 'Shop Front!',
      baseUrl: 'https://shop.example.com',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ slug: 'shop-front', name: 'Shop Front!', parallelWorkers: 2 });
    expect(res.body.deletedAt).toBeUndefined();
    const byId = await h.call('GET', `/api/v1/projects/${res.body.id}`);
    const bySlug = await h.call('GET', '/api/v1/projects/shop-front');
    expect(byId.body).toEqual(res.body);
    expect(bySlug.body).toEqual(res.body);
    const list = await h.call('GET', '/api/v1/projects');
    expect(list.body.items.map((p: { slug: string }) => p.slug)).toContain('shop-front');
  });

  it('rejects a taken slug with 409, on create and on rename', async () => {
    await h.call('POST', '/api/v1/projects', {
      name: 'One',
      slug: 'dup-one',
      baseUrl: 'http://a.test',
    });
    await h.call('POST', '/api/v1/projects', {
      name: 'Two',
      slug: 'dup-two',
      baseUrl: 'http://a.test',
    });
    const again = await h.call('POST', '/api/v1/projects', {
      name: 'Dup',
      slug: 'dup-one',
      baseUrl: 'http://a.test',
    });
    expect(errorBody(again, 409, 'conflict').details).toEqual({ slug: 'dup-one' });
    errorBody(
      await h.call('PATCH', '/api/v1/projects/dup-two', { slug: 'dup-one' }),
      409,
      'conflict',
    );
  });

  it('patches and soft-deletes a project', async () => {
    const created = await h.call('POST', '/api/v1/projects', {
      name: 'Patch me',
      baseUrl: 'http://a.test',
    });
    const patched = await h.call('PATCH', '/api/v1/projects/patch-me', {
      name: 'Patched',
      parallelWorkers: 4,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: created.body.id,
      name: 'Patched',
      parallelWorkers: 4,
    });
    const del = await h.call('DELETE', `/api/v1/projects/${created.body.id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBe('');
    errorBody(await h.call('GET', `/api/v1/projects/${created.body.id}`), 404, 'not_found');
    errorBody(await h.call('DELETE', `/api/v1/projects/${created.body.id}`), 404, 'not_found');
    const list = await h.call('GET', '/api/v1/projects');
    expect(list.body.items.map((p: { id: string }) => p.id)).not.toContain(created.body.id);
  });

  it('validates bodies: 400 with path and message, unknown fields rejected', async () => {
    const bad = errorBody(
      await h.call('POST', '/api/v1/projects', {
        name: '',
        baseUrl: 'ftp://x',
        parallelWorkers: 99,
      }),
      400,
      'validation_failed',
    );
    const paths = bad.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(['body.name', 'body.baseUrl', 'body.parallelWorkers']),
    );
    for (const d of bad.details) expect(typeof d.message).toBe('string');

    const unknown = errorBody(
      await h.call('POST', '/api/v1/projects', {
        name: 'X',
        baseUrl: 'http://x.test',
        owner: 'me',
      }),
      400,
      'validation_failed',
    );
    expect(JSON.stringify(unknown.details)).toContain('owner');
    errorBody(
      await h.call('PATCH', '/api/v1/projects/shop-front', { bogus: 1 }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('POST', '/api/v1/projects', {
        name: 'Bad slug',
        slug: 'Not A Slug',
        baseUrl: 'http://x.test',
      }),
      400,
      'validation_failed',
    );
  });

  it('maps body-level failures: malformed JSON 400, huge body 413, wrong type 415', async () => {
    errorBody(
      await h.call('POST', '/api/v1/projects', '{"name": ', { 'content-type': 'application/json' }),
      400,
      'bad_request',
    );
    const huge = { name: 'x'.repeat(20_000), baseUrl: 'http://x.test' };
    errorBody(await h.call('POST', '/api/v1/projects', huge), 413, 'payload_too_large');
    errorBody(
      await h.call('POST', '/api/v1/projects', 'name=x', { 'content-type': 'text/plain' }),
      415,
      'unsupported_media_type',
    );
    errorBody(
      await h.call('POST', '/api/v1/projects', '<p/>', { 'content-type': 'application/xml' }),
      415,
      'unsupported_media_type',
    );
    // A JSON content type with no body is "no body", then fails validation like any missing body.
    errorBody(
      await h.call('POST', '/api/v1/projects', '', { 'content-type': 'application/json' }),
      400,
      'validation_failed',
    );
  });

  it('answers 404 for an unknown project on every project route', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/projects/nope'],
      ['PATCH', '/api/v1/projects/nope'],
      ['GET', '/api/v1/projects/nope/environments'],
      ['GET', '/api/v1/projects/nope/tests'],
      ['POST', '/api/v1/projects/nope/tests'],
      ['GET', '/api/v1/projects/nope/runs'],
    ] as const) {
      const res = await h.call(method, path, method === 'GET' ? undefined : { name: 'x' });
      expect(errorBody(res, 404, 'not_found').error).toBe('project not found');
    }
  });
});

describe('environments', () => {
  const base = '/api/v1/projects/env-proj/environments';
  beforeAll(async () => {
    await h.call('POST', '/api/v1/projects', { name: 'Env proj', baseUrl: 'http://a.test' });
  });

  it('stores variables and secrets but never returns secret values', async () => {
    const put = await h.call('PUT', `${base}/staging`, {
      baseUrl: 'https://staging.example.com',
      variables: { USER: 'alice' },
      secrets: { PASSWORD: 'hunter2-very-secret' },
    });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({
      name: 'staging',
      baseUrl: 'https://staging.example.com',
      variables: { USER: 'alice' },
      secrets: { PASSWORD: '••••••' },
    });
    const list = await h.call('GET', base);
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain('hunter2');
    const got = await h.call('GET', `${base}/staging`);
    expect(JSON.stringify(got.body)).not.toContain('hunter2');

    const stored = await h.store.environments.get(
      (await h.store.projects.get('env-proj'))!.id,
      'staging',
    );
    expect(stored?.variables.PASSWORD).toBe('hunter2-very-secret');
    expect(stored?.secretNames).toEqual(['PASSWORD']);
  });

  it('keeps secrets on a PUT that omits them or sends the mask back', async () => {
    const put = await h.call('PUT', `${base}/staging`, { variables: { USER: 'bob' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      baseUrl: null,
      variables: { USER: 'bob' },
      secrets: { PASSWORD: '••••••' },
    });
    const roundTrip = await h.call('PUT', `${base}/staging`, {
      variables: { USER: 'carol' },
      secrets: { PASSWORD: '••••••', TOKEN: 'tok-123456' },
    });
    expect(roundTrip.body.secrets).toEqual({ PASSWORD: '••••••', TOKEN: '••••••' });
    const projectId = (await h.store.projects.get('env-proj'))!.id;
    const stored = await h.store.environments.get(projectId, 'staging');
    expect(stored?.variables).toEqual({
      USER: 'carol',
      PASSWORD: 'hunter2-very-secret',
      TOKEN: 'tok-123456',
    });
  });

  it('rejects bad environment bodies', async () => {
    errorBody(
      await h.call('PUT', `${base}/staging`, { variables: { 'bad name': 'x' } }),
      400,
      'validation_failed',
    );
    errorBody(await h.call('PUT', `${base}/staging`, { colour: 'red' }), 400, 'validation_failed');
    errorBody(
      await h.call('PUT', `${base}/staging`, { variables: { A: '1' }, secrets: { A: '2' } }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PUT', `${base}/prod`, { secrets: { NEW: '••••••' } }),
      400,
      'validation_failed',
    );
  });

  it('deletes an environment, then 404s', async () => {
    expect((await h.call('DELETE', `${base}/staging`)).status).toBe(204);
    errorBody(await h.call('DELETE', `${base}/staging`), 404, 'not_found');
    errorBody(await h.call('GET', `${base}/staging`), 404, 'not_found');
  });
});

describe('unexpected failures', () => {
  it('answers 500 internal with a generic message and no stack', async () => {
    const broken = await startHarness();
    try {
      await broken.store.close(); // the database goes away under a running server
      const res = await broken.call('GET', '/api/v1/projects');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: 'internal server error', code: 'internal' });
    } finally {
      await broken.close();
    }
  });
});
