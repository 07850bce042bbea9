import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type Harness } from './api-harness.ts';

let h: Harness;
const A = '/api/v1/projects/alpha';
const B = '/api/v1/projects/beta';

beforeAll(async () => {
  h = await startHarness();
  await h.call('POST', '/api/v1/projects', { name: 'Alpha', baseUrl: 'http://alpha.test' });
  await h.call('POST', '/api/v1/projects', { name: 'Beta', baseUrl: 'http://beta.test' });
});
afterAll(async () => {
  await h?.close();
});

const login = {
  name: 'Sign in reaches the dashboard',
  suite: 'auth',
  tags: ['smoke'],
  steps: [
    { goto: '/login' },
    { fill: { label: 'Email' }, value: '{{USER_EMAIL}}' },
    { click: { role: 'button', name: 'Sign in' } },
    { expect: { url: '/dashboard' } },
  ],
};

async function create(base: string, body: Record<string, unknown>): Promise<string> {
  const res = await h.call('POST', `${base}/tests`, body);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('tests', () => {
  it('creates a test as draft and reads it back in document terms', async () => {
    const res = await h.call('POST', `${A}/tests`, { ...login, timeout: 30_000 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: login.name,
      suite: 'auth',
      tags: ['smoke'],
      status: 'draft',
      source: 'api',
      timeout: 30_000,
      stepTimeout: null,
      reviewedAt: null,
    });
    expect(res.body.steps).toHaveLength(4);
    const got = await h.call('GET', `${A}/tests/${res.body.id}`);
    // Reads add the flaky score (0: no history yet).
    expect(got.body).toEqual({ ...res.body, flakyScore: 0 });
  });

  it('keeps a status given in the document', async () => {
    const res = await h.call('POST', `${A}/tests`, {
      ...login,
      name: 'Pre-approved',
      status: 'approved',
    });
    expect(res.body.status).toBe('approved');
  });

  it('rejects a bad test document naming the step and field', async () => {
    const res = await h.call('POST', `${A}/tests`, {
      name: 'Broken',
      steps: [{ goto: '/' }, { click: { role: 'button', nam: 'Go' } }, { fly: '/moon' }],
    });
    const body = errorBody(res, 400, 'validation_failed');
    expect(body.error).toContain('step 2');
    expect(body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ step: 1 }),
        expect.objectContaining({ step: 2, message: expect.stringContaining('unknown step') }),
      ]),
    );
    errorBody(
      await h.call('POST', `${A}/tests`, { name: 'No steps', steps: [] }),
      400,
      'validation_failed',
    );
    const unknown = errorBody(
      await h.call('POST', `${A}/tests`, { ...login, owner: 'me' }),
      400,
      'validation_failed',
    );
    expect(JSON.stringify(unknown.details)).toContain('owner');
    errorBody(await h.call('POST', `${A}/tests`, [login]), 400, 'validation_failed');
  });

  it('lists with filters and pagination', async () => {
    await create(A, {
      name: 'Cart adds an item',
      suite: 'shop',
      tags: ['cart'],
      steps: [{ goto: '/cart' }],
    });
    await create(A, {
      name: 'Cart removes an item',
      suite: 'shop',
      tags: ['cart', 'smoke'],
      steps: [{ goto: '/cart' }],
    });
    const all = await h.call('GET', `${A}/tests`);
    expect(all.body).toMatchObject({ limit: 50, offset: 0 });
    expect(all.body.total).toBe(all.body.items.length);
    const smoke = await h.call('GET', `${A}/tests?tag=smoke`);
    expect(smoke.body.items.every((t: { tags: string[] }) => t.tags.includes('smoke'))).toBe(true);
    const shop = await h.call('GET', `${A}/tests?suite=shop&limit=1&offset=1`);
    expect(shop.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(shop.body.items).toHaveLength(1);
    const approved = await h.call('GET', `${A}/tests?status=approved`);
    expect(approved.body.items.map((t: { name: string }) => t.name)).toEqual(['Pre-approved']);
    errorBody(await h.call('GET', `${A}/tests?limit=0`), 400, 'validation_failed');
    errorBody(await h.call('GET', `${A}/tests?limit=201`), 400, 'validation_failed');
    errorBody(await h.call('GET', `${A}/tests?status=maybe`), 400, 'validation_failed');
  });

  it('patches only the given fields, null clears, bad steps name the step', async () => {
    const id = await create(A, { ...login, name: 'Patchable', description: 'old' });
    const res = await h.call('PATCH', `${A}/tests/${id}`, {
      name: 'Patched',
      description: null,
      steps: [{ goto: '/home' }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Patched',
      description: null,
      suite: 'auth',
      tags: ['smoke'],
    });
    expect(res.body.steps).toEqual([{ goto: '/home' }]);
    const bad = errorBody(
      await h.call('PATCH', `${A}/tests/${id}`, { steps: [{ goto: '/' }, { click: 42 }] }),
      400,
      'validation_failed',
    );
    expect(bad.details[0]).toMatchObject({ step: 1 });
    errorBody(
      await h.call('PATCH', `${A}/tests/${id}`, { tags: ['bad tag!'] }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PATCH', `${A}/tests/${id}`, { color: 'red' }),
      400,
      'validation_failed',
    );
    errorBody(await h.call('PATCH', `${A}/tests/nope`, { name: 'x' }), 404, 'not_found');
  });

  it('keeps keys unique per project (409), not across projects', async () => {
    const id = await create(A, { name: 'Keyed', key: 'auth/keyed', steps: [{ goto: '/' }] });
    const dup = await h.call('POST', `${A}/tests`, {
      name: 'Again',
      key: 'auth/keyed',
      steps: [{ goto: '/' }],
    });
    expect(errorBody(dup, 409, 'conflict').details).toEqual({ key: 'auth/keyed' });
    const other = await create(A, { name: 'Other', key: 'auth/other', steps: [{ goto: '/' }] });
    errorBody(await h.call('PATCH', `${A}/tests/${other}`, { key: 'auth/keyed' }), 409, 'conflict');
    await create(B, { name: 'Keyed in B', key: 'auth/keyed', steps: [{ goto: '/' }] });
    expect((await h.call('GET', `${A}/tests/${id}`)).body.key).toBe('auth/keyed');
  });

  it('deletes a test', async () => {
    const id = await create(A, { name: 'Doomed', steps: [{ goto: '/' }] });
    expect((await h.call('DELETE', `${A}/tests/${id}`)).status).toBe(204);
    errorBody(await h.call('GET', `${A}/tests/${id}`), 404, 'not_found');
    errorBody(await h.call('DELETE', `${A}/tests/${id}`), 404, 'not_found');
  });
});

describe('review', () => {
  it('approves, rejects and restores one test', async () => {
    const id = await create(A, { name: 'Review me', steps: [{ goto: '/' }] });
    const approved = await h.call('POST', `${A}/tests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.reviewedAt).not.toBeNull();
    // Bodyless POST with a JSON content type, as generic CI snippets send it.
    const rejected = await h.call('POST', `${A}/tests/${id}/reject`, '', {
      'content-type': 'application/json',
    });
    expect(rejected.body.status).toBe('rejected');
    const restored = await h.call('POST', `${A}/tests/${id}/restore`);
    expect(restored.body.status).toBe('draft');
    errorBody(await h.call('POST', `${A}/tests/nope/approve`), 404, 'not_found');
  });

  it('reviews in bulk and counts by status', async () => {
    const ids = [
      await create(A, { name: 'Bulk 1', steps: [{ goto: '/' }] }),
      await create(A, { name: 'Bulk 2', steps: [{ goto: '/' }] }),
    ];
    const before = await h.call('GET', `${A}/tests/counts`);
    const res = await h.call('POST', `${A}/tests/bulk-review`, { ids, action: 'approve' });
    expect(res.body).toEqual({ updated: 2 });
    const after = await h.call('GET', `${A}/tests/counts`);
    expect(after.body.approved).toBe(before.body.approved + 2);
    expect(after.body.draft).toBe(before.body.draft - 2);
    expect(after.body.total).toBe(after.body.draft + after.body.approved + after.body.rejected);
    errorBody(
      await h.call('POST', `${A}/tests/bulk-review`, { ids, action: 'bless' }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('POST', `${A}/tests/bulk-review`, { ids: [], action: 'approve' }),
      400,
      'validation_failed',
    );
  });
});

describe('project isolation', () => {
  it("never serves or changes project A's test under project B", async () => {
    const id = await create(A, { name: 'Private to A', steps: [{ goto: '/' }] });
    errorBody(await h.call('GET', `${B}/tests/${id}`), 404, 'not_found');
    errorBody(await h.call('PATCH', `${B}/tests/${id}`, { name: 'Stolen' }), 404, 'not_found');
    errorBody(await h.call('POST', `${B}/tests/${id}/approve`), 404, 'not_found');
    errorBody(await h.call('DELETE', `${B}/tests/${id}`), 404, 'not_found');
    // Bulk review is all or nothing: another project's id is unknown here (see review tests).
    const bulk = await h.call('POST', `${B}/tests/bulk-review`, { ids: [id], action: 'reject' });
    errorBody(bulk, 404, 'not_found');
    const still = await h.call('GET', `${A}/tests/${id}`);
    expect(still.body).toMatchObject({ name: 'Private to A', status: 'draft' });
    const listB = await h.call('GET', `${B}/tests`);
    expect(listB.body.items.map((t: { id: string }) => t.id)).not.toContain(id);
  });
});
