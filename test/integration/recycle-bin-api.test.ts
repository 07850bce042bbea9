import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember, TEST_PASSWORD, type TestUser } from './auth-helpers.ts';
import { hashPassword } from '../../src/auth/passwords.ts';

// The recycle bin over HTTP (SQLite; recycle-bin-store.test.ts runs the store on both engines):
// deletes are soft, deleted items vanish from every route, the bin lists them for the caller's
// workspace only, restore and purge by role, and Sentri's /restore and /purge paths.

let h: Harness;
let viewer: TestUser;
let editor: TestUser;
let outsider: string;
const as = (key: string) => ({ authorization: `Bearer ${key}` });

const testDoc = (name: string, key?: string) => ({
  name,
  ...(key ? { key } : {}),
  steps: [{ goto: '/' }],
});

async function newProject(slug: string): Promise<{ id: string; slug: string }> {
  const res = await h.call('POST', '/api/v1/projects', {
    name: slug,
    slug,
    baseUrl: 'https://shop.example.com',
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function newTest(project: string, name: string): Promise<{ id: string }> {
  const res = await h.call('POST', `/api/v1/projects/${project}/tests`, testDoc(name));
  expect(res.status).toBe(201);
  return res.body;
}

beforeAll(async () => {
  h = await startHarness();
  viewer = await createMember(h.store, { role: 'viewer' });
  editor = await createMember(h.store, { role: 'editor', scopes: ['runs:read', 'tests:write'] });
  // An admin of another workspace.
  const ws = await h.store.accounts.createWorkspace('Elsewhere');
  const user = await h.store.accounts.createUser({
    email: 'other@example.test',
    passwordHash: await hashPassword(TEST_PASSWORD),
  });
  await h.store.accounts.setRole(ws.id, user.id, 'admin');
  outsider = (
    await h.store.apiKeys.create({
      userId: user.id,
      workspaceId: ws.id,
      name: 'other',
      scopes: ['admin'],
    })
  ).token;
});
afterAll(async () => h?.close());

describe('deleting a test', () => {
  it('moves it to the bin: gone from the project, listed in the bin, restorable by an editor', async () => {
    const p = await newProject('bin-tests');
    const t = await newTest(p.slug, 'Checkout works');
    await newTest(p.slug, 'Home loads');

    const del = await h.call(
      'DELETE',
      `/api/v1/projects/${p.slug}/tests/${t.id}`,
      undefined,
      as(editor.apiKey),
    );
    expect(del.status).toBe(204);
    errorBody(await h.call('GET', `/api/v1/projects/${p.slug}/tests/${t.id}`), 404, 'not_found');
    errorBody(await h.call('DELETE', `/api/v1/projects/${p.slug}/tests/${t.id}`), 404, 'not_found');
    const list = await h.call('GET', `/api/v1/projects/${p.slug}/tests`);
    expect(list.body.items.map((x: { name: string }) => x.name)).toEqual(['Home loads']);
    errorBody(
      await h.call('GET', `/api/v1/projects/${p.slug}/tests/${t.id}/history`),
      404,
      'not_found',
    );

    const bin = await h.call('GET', '/api/v1/recycle-bin');
    expect(bin.status).toBe(200);
    expect(bin.body.retentionDays).toBe(30);
    const item = bin.body.tests.find((x: { id: string }) => x.id === t.id);
    expect(item).toMatchObject({
      name: 'Checkout works',
      projectId: p.id,
      projectSlug: 'bin-tests',
      projectDeleted: false,
      deletedBy: editor.email,
    });
    expect(Date.parse(item.purgeAt) - Date.parse(item.deletedAt)).toBe(30 * 86_400_000);

    // Another workspace neither sees nor reaches it.
    const foreign = await h.call('GET', '/api/v1/recycle-bin', undefined, as(outsider));
    expect(foreign.body).toEqual({ projects: [], tests: [], retentionDays: 30 });
    errorBody(
      await h.call('POST', `/api/v1/recycle-bin/test/${t.id}/restore`, undefined, as(outsider)),
      404,
      'not_found',
    );
    errorBody(
      await h.call('DELETE', `/api/v1/purge/test/${t.id}`, undefined, as(outsider)),
      404,
      'not_found',
    );
    // A viewer may not look into the bin; an editor may not purge.
    errorBody(
      await h.call('GET', '/api/v1/recycle-bin', undefined, as(viewer.apiKey)),
      403,
      'forbidden',
    );
    errorBody(
      await h.call(
        'DELETE',
        `/api/v1/recycle-bin/test/${t.id}/purge`,
        undefined,
        as(editor.apiKey),
      ),
      403,
      'forbidden',
    );

    const restored = await h.call(
      'POST',
      `/api/v1/recycle-bin/test/${t.id}/restore`,
      undefined,
      as(editor.apiKey),
    );
    expect(restored.status).toBe(200);
    expect(restored.body).toEqual({ ok: true });
    expect((await h.call('GET', `/api/v1/projects/${p.slug}/tests/${t.id}`)).body.name).toBe(
      'Checkout works',
    );
    errorBody(await h.call('POST', `/api/v1/recycle-bin/test/${t.id}/restore`), 404, 'not_found');
  });

  it('purges it for good through Sentri’s path', async () => {
    const p = await newProject('bin-purge');
    const t = await newTest(p.slug, 'Doomed');
    await h.call('DELETE', `/api/v1/projects/${p.slug}/tests/${t.id}`);
    const purged = await h.call('DELETE', `/api/v1/purge/test/${t.id}`);
    expect(purged.status).toBe(200);
    expect(purged.body).toEqual({ ok: true });
    const bin = await h.call('GET', '/api/v1/recycle-bin');
    expect(bin.body.tests.some((x: { id: string }) => x.id === t.id)).toBe(false);
    errorBody(await h.call('POST', `/api/v1/restore/test/${t.id}`), 404, 'not_found');
  });
});

describe('deleting a project', () => {
  it('hides it everywhere; restoring it (an admin’s job) brings back its tests', async () => {
    const p = await newProject('bin-project');
    const t = await newTest(p.slug, 'Kept with its project');
    expect((await h.call('DELETE', `/api/v1/projects/${p.slug}`)).status).toBe(204);
    errorBody(await h.call('GET', `/api/v1/projects/${p.slug}`), 404, 'not_found');
    errorBody(await h.call('GET', `/api/v1/projects/${p.id}/tests`), 404, 'not_found');
    const projects = await h.call('GET', '/api/v1/projects');
    expect(JSON.stringify(projects.body)).not.toContain('bin-project');

    const bin = await h.call('GET', '/api/v1/recycle-bin');
    expect(bin.body.projects.find((x: { id: string }) => x.id === p.id)).toMatchObject({
      slug: 'bin-project',
      tests: 1,
      runs: 0,
      deletedBy: h.admin.email,
    });
    errorBody(
      await h.call('POST', `/api/v1/restore/project/${p.id}`, undefined, as(editor.apiKey)),
      403,
      'forbidden',
    );
    const restored = await h.call('POST', `/api/v1/restore/project/${p.id}`);
    expect(restored.body).toEqual({ ok: true });
    expect((await h.call('GET', `/api/v1/projects/${p.slug}/tests/${t.id}`)).status).toBe(200);
  });

  it('answers 409 for a test of a deleted project and for a slug taken meanwhile', async () => {
    const p = await newProject('bin-order');
    const t = await newTest(p.slug, 'Waits for its project');
    await h.call('DELETE', `/api/v1/projects/${p.slug}/tests/${t.id}`);
    await h.call('DELETE', `/api/v1/projects/${p.slug}`);
    const conflict = errorBody(
      await h.call('POST', `/api/v1/recycle-bin/test/${t.id}/restore`),
      409,
      'conflict',
    );
    expect(conflict.error).toContain('restore the project first');
    await newProject('bin-order');
    errorBody(await h.call('POST', `/api/v1/recycle-bin/project/${p.id}/restore`), 409, 'conflict');
  });

  it('refuses what the bin does not hold', async () => {
    errorBody(await h.call('POST', '/api/v1/restore/run/abc'), 400, 'validation_failed');
    errorBody(await h.call('DELETE', '/api/v1/recycle-bin/project/nope/purge'), 404, 'not_found');
  });
});

describe('the retention setting', () => {
  it('is read by editors, set by admins, and moves every purge date', async () => {
    expect(
      (await h.call('GET', '/api/v1/settings/recycle-bin', undefined, as(editor.apiKey))).body,
    ).toEqual({
      retentionDays: 30,
    });
    errorBody(
      await h.call('PUT', '/api/v1/settings/recycle-bin', { retentionDays: 7 }, as(editor.apiKey)),
      403,
      'forbidden',
    );
    errorBody(
      await h.call('PUT', '/api/v1/settings/recycle-bin', { retentionDays: 0 }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PUT', '/api/v1/settings/recycle-bin', { retentionDays: 7, extra: 1 }),
      400,
      'validation_failed',
    );
    const set = await h.call('PUT', '/api/v1/settings/recycle-bin', { retentionDays: 7 });
    expect(set.body).toEqual({ retentionDays: 7 });
    const bin = await h.call('GET', '/api/v1/recycle-bin');
    expect(bin.body.retentionDays).toBe(7);
    for (const item of [...bin.body.projects, ...bin.body.tests]) {
      expect(Date.parse(item.purgeAt) - Date.parse(item.deletedAt)).toBe(7 * 86_400_000);
    }
    // Another workspace keeps its own default.
    expect(
      (await h.call('GET', '/api/v1/settings/recycle-bin', undefined, as(outsider))).body
        .retentionDays,
    ).toBe(30);
  });
});
