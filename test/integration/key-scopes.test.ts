import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';
import { createMember } from './auth-helpers.ts';

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

/**
 * A personal API key does what its scopes say and nothing else, on every route: a `runs:read` key
 * once revoked its owner's other keys. And a token of another workspace learns nothing about a
 * run: the same 404 a random id gets, on every route that names it.
 */
describe('API key scopes and foreign tokens', () => {
  let h: TriggerHarness;
  let project: { id: string; slug: string; token: string };
  let readKey: string;

  beforeAll(async () => {
    h = await startTriggerHarness();
    project = await h.project('shop', ['pass home']);
    readKey = (await createMember(h.store, { role: 'admin', scopes: ['runs:read'] })).apiKey;
  });
  afterAll(() => h.close());

  it('a runs:read key cannot revoke another key of its owner', async () => {
    const owner = await createMember(h.store, { role: 'admin', scopes: ['runs:read'] });
    const other = await h.store.apiKeys.create({
      userId: owner.userId,
      workspaceId: owner.workspaceId,
      name: 'deploy',
      scopes: ['admin'],
      expiresAt: null,
    });
    const auth = { authorization: `Bearer ${owner.apiKey}` };
    const res = await h.call('DELETE', `/api/v1/auth/api-keys/${other.record.id}`, undefined, auth);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'forbidden', error: expect.stringMatching(/admin/) });
    const still = await h.call('GET', '/api/v1/projects', undefined, {
      authorization: `Bearer ${other.token}`,
    });
    expect(still.status).toBe(200);
  });

  it('a runs:read key changes nothing through any route', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body as OpenApi;
    const run = await h.call(
      'POST',
      `/api/v1/projects/${project.slug}/trigger`,
      {},
      { authorization: `Bearer ${project.token}` },
    );
    const runId = (run.body as { runId: string }).runId;
    const wrote: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
        // Signing in and out changes no data; a key has no session to end.
        if (/\/auth\/(login|register|logout)$/.test(path)) continue;
        const concrete = path
          .replace('{id}', project.slug)
          .replace('{project}', project.slug)
          .replace('{runId}', runId)
          .replace(/\{[^}]+\}/g, 'x1');
        const res = await h.call(method, concrete, method === 'DELETE' ? undefined : {}, {
          authorization: `Bearer ${readKey}`,
        });
        if (res.status < 300 || (res.status !== 403 && path.includes('/projects/{id}'))) {
          wrote.push(`${method} ${path} → ${res.status}`);
        }
      }
    }
    expect(wrote).toEqual([]);
    // Nothing happened to the run a cancel was refused for.
    const after = await h.call('GET', `/api/v1/runs/${runId}`, undefined, {
      authorization: `Bearer ${readKey}`,
    });
    expect(after.status).toBe(200);
    h.openGate();
  });

  it('answers a token of another workspace with the 404 of a random id', async () => {
    const ws = await h.store.accounts.createWorkspace('Elsewhere');
    const theirs = await h.store.projects.create({
      slug: 'theirs',
      name: 'Theirs',
      baseUrl: 'https://theirs.example',
      workspaceId: ws.id,
    });
    const foreign = (await h.store.triggerTokens.create(theirs.id, { name: 'ci' })).token;
    const run = await h.call(
      'POST',
      `/api/v1/projects/${project.slug}/trigger`,
      {},
      { authorization: `Bearer ${project.token}` },
    );
    const runId = (run.body as { runId: string }).runId;
    const auth = { authorization: `Bearer ${foreign}` };
    const random = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      (id: string) => `/api/v1/runs/${id}`,
      (id: string) => `/api/v1/projects/${project.slug}/runs/${id}`,
      (id: string) => `/api/v1/projects/${project.slug}/trigger/runs/${id}`,
      (id: string) => `/api/v1/runs/${id}/results`,
    ]) {
      const real = await h.call('GET', path(runId), undefined, auth);
      const none = await h.call('GET', path(random), undefined, auth);
      // Routes a trigger token may never use answer 403 before anything is looked up.
      const expected = path(runId).includes('/projects/shop/runs/') ? 403 : 404;
      expect([path(runId), real.status]).toEqual([path(runId), expected]);
      expect([path(runId), none.status]).toEqual([path(runId), expected]);
    }
    // Same workspace, another project: Sentri's documented 403 stays.
    const sibling = await h.project('blog', ['pass home']);
    const sameWs = await h.call(
      'POST',
      `/api/v1/projects/${project.slug}/trigger`,
      {},
      { authorization: `Bearer ${sibling.token}` },
    );
    expect([sameWs.status, sameWs.body.error]).toEqual([
      403,
      'Token belongs to a different project',
    ]);
  });
});
