import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember, type TestUser } from './auth-helpers.ts';

let h: Harness;
let editor: TestUser;
let viewer: TestUser;
const P = '/api/v1/projects/review';
const Q = '/api/v1/projects/review-other';

const steps = [
  { goto: '/login' },
  { fill: { label: 'Email' }, value: 'a@example.test' },
  { click: { role: 'button', name: 'Sign in' } },
];

beforeAll(async () => {
  h = await startHarness();
  await h.call('POST', '/api/v1/projects', { name: 'Review', baseUrl: 'http://review.test' });
  await h.call('POST', '/api/v1/projects', { name: 'Review other', baseUrl: 'http://o.test' });
  editor = await createMember(h.store, { role: 'editor' });
  viewer = await createMember(h.store, { role: 'viewer' });
});
afterAll(async () => {
  await h?.close();
});

const as = (u: TestUser): Record<string, string> => ({ authorization: `Bearer ${u.apiKey}` });

async function create(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.call('POST', `${P}/tests`, { name, steps, ...extra });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function history(
  id: string,
): Promise<
  { version: number; action: string; status: string; actor: string; note: string | null }[]
> {
  const res = await h.call('GET', `${P}/tests/${id}/history`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('test history', () => {
  it('records create, edit, approve, reject and restore with the actor, newest first', async () => {
    const id = await create('Sign in');
    const email = h.admin.email;
    expect(await history(id)).toMatchObject([
      { version: 1, action: 'created', status: 'draft', actor: email },
    ]);

    expect((await h.call('PATCH', `${P}/tests/${id}`, { tags: ['smoke'] })).status).toBe(200);
    const approved = await h.call('POST', `${P}/tests/${id}/approve`);
    expect(approved.body).toMatchObject({ status: 'approved', reviewedBy: email });
    await h.call('POST', `${P}/tests/${id}/reject`);
    await h.call('POST', `${P}/tests/${id}/restore`);
    // Repeating a review that changes nothing leaves no trail.
    await h.call('POST', `${P}/tests/${id}/restore`);
    // A PATCH that changes nothing neither.
    await h.call('PATCH', `${P}/tests/${id}`, { tags: ['smoke'] });

    const items = await history(id);
    expect(items.map((v) => [v.version, v.action, v.status])).toEqual([
      [5, 'restored', 'draft'],
      [4, 'rejected', 'rejected'],
      [3, 'approved', 'approved'],
      [2, 'edited', 'draft'],
      [1, 'created', 'draft'],
    ]);
    expect(new Set(items.map((v) => v.actor))).toEqual(new Set([email]));
    const first = await h.call('GET', `${P}/tests/${id}/history/1`);
    expect(first.body.document).toMatchObject({ name: 'Sign in', tags: [], steps });
    errorBody(await h.call('GET', `${P}/tests/${id}/history/99`), 404, 'not_found');
  });

  it('sends an approved test back to draft when its steps change', async () => {
    const id = await create('Approved then edited', { status: 'approved' });
    // Renaming keeps the approval.
    const renamed = await h.call('PATCH', `${P}/tests/${id}`, { name: 'Renamed' }, as(editor));
    expect(renamed.body.status).toBe('approved');

    const newSteps = [...steps, { expect: { url: '/dashboard' } }];
    const edited = await h.call('PATCH', `${P}/tests/${id}`, { steps: newSteps }, as(editor));
    expect(edited.status).toBe(200);
    expect(edited.body.status).toBe('draft');
    const [latest] = await history(id);
    expect(latest).toMatchObject({
      action: 'edited',
      status: 'draft',
      actor: editor.email,
      note: 'steps changed: approval withdrawn',
    });
  });

  it('lets only an admin keep an approved test approved with keepApproved', async () => {
    const id = await create('Kept approved', { status: 'approved' });
    const more = [...steps, { expect: { url: '/home' } }];
    errorBody(
      await h.call('PATCH', `${P}/tests/${id}`, { steps: more, keepApproved: true }, as(editor)),
      403,
      'forbidden',
    );
    expect((await h.call('GET', `${P}/tests/${id}`)).body.status).toBe('approved');

    const kept = await h.call('PATCH', `${P}/tests/${id}`, { steps: more, keepApproved: true });
    expect(kept.status).toBe(200);
    expect(kept.body.status).toBe('approved');
    expect(kept.body.steps).toHaveLength(4);
    const viaQuery = await h.call('PATCH', `${P}/tests/${id}?keepApproved=true`, { steps });
    expect(viaQuery.body.status).toBe('approved');
    expect((await history(id))[0]).toMatchObject({
      action: 'edited',
      status: 'approved',
      note: 'steps changed: kept approved by an admin',
    });
    errorBody(
      await h.call('PATCH', `${P}/tests/${id}`, { steps, keepApproved: 'yes' }),
      400,
      'validation_failed',
    );
  });

  it('diffs the previous version against the current one, step by step', async () => {
    const id = await create('Diffed');
    const changed = [steps[0], { fill: { label: 'Email' }, value: 'b@example.test' }, steps[2]];
    await h.call('PATCH', `${P}/tests/${id}`, { steps: changed, suite: 'auth' });

    const d = await h.call('GET', `${P}/tests/${id}/diff`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ from: 1, to: 2, changed: ['suite', 'steps'] });
    expect(d.body.fields).toEqual([{ field: 'suite', from: null, to: 'auth' }]);
    expect(d.body.steps).toEqual([
      { op: 'changed', index: 1, fromIndex: 1, from: steps[1], to: changed[1], keys: ['value'] },
    ]);
    expect(d.body.unified).toContain('-    value: a@example.test');
    expect(d.body.unified).toContain('+    value: b@example.test');

    const first = await h.call('GET', `${P}/tests/${id}/diff?to=1`);
    expect(first.body).toMatchObject({ from: null, to: 1 });
    const reverse = await h.call('GET', `${P}/tests/${id}/diff?from=2&to=1`);
    expect(reverse.body.fields).toEqual([{ field: 'suite', from: 'auth', to: null }]);
    errorBody(await h.call('GET', `${P}/tests/${id}/diff?from=7`), 404, 'not_found');
    errorBody(await h.call('GET', `${P}/tests/${id}/diff?from=zero`), 400, 'validation_failed');
    errorBody(await h.call('GET', `${P}/tests/nope/diff`), 404, 'not_found');
    errorBody(await h.call('GET', `${Q}/tests/${id}/history`), 404, 'not_found');
  });
});

describe('bulk review', () => {
  it('records a version per test with the reviewer', async () => {
    const ids = [await create('Bulk A'), await create('Bulk B')];
    const res = await h.call(
      'POST',
      `${P}/tests/bulk-review`,
      { ids, action: 'approve' },
      as(editor),
    );
    expect(res.body).toEqual({ updated: 2 });
    for (const id of ids) {
      expect((await history(id))[0]).toMatchObject({
        version: 2,
        action: 'approved',
        actor: editor.email,
      });
      expect((await h.call('GET', `${P}/tests/${id}`)).body.reviewedBy).toBe(editor.email);
    }
  });

  it('is all or nothing: an unknown id answers 404 naming it and changes nothing', async () => {
    const ids = [await create('All A'), await create('All B')];
    const other = (await h.call('POST', `${Q}/tests`, { name: 'Elsewhere', steps })).body.id;
    for (const bad of ['no-such-test', other]) {
      const body = errorBody(
        await h.call('POST', `${P}/tests/bulk-review`, { ids: [...ids, bad], action: 'approve' }),
        404,
        'not_found',
      );
      expect(body.error).toContain(bad);
      expect(body.details).toEqual({ missing: [bad] });
    }
    for (const id of ids) {
      expect((await h.call('GET', `${P}/tests/${id}`)).body.status).toBe('draft');
      expect(await history(id)).toHaveLength(1);
    }
  });
});

describe('roles', () => {
  it('lets a viewer read history and diffs but not review or edit (403)', async () => {
    const id = await create('Viewer sees');
    expect((await h.call('GET', `${P}/tests/${id}/history`, undefined, as(viewer))).status).toBe(
      200,
    );
    expect((await h.call('GET', `${P}/tests/${id}/diff`, undefined, as(viewer))).status).toBe(200);
    errorBody(
      await h.call('POST', `${P}/tests/${id}/approve`, undefined, as(viewer)),
      403,
      'forbidden',
    );
    errorBody(
      await h.call('POST', `${P}/tests/bulk-review`, { ids: [id], action: 'reject' }, as(viewer)),
      403,
      'forbidden',
    );
    errorBody(
      await h.call('PATCH', `${P}/tests/${id}`, { name: 'x' }, as(viewer)),
      403,
      'forbidden',
    );
    expect(await history(id)).toHaveLength(1);
  });
});

describe('only approved tests run', () => {
  it('plans approved tests only, and drops one whose steps were edited', async () => {
    const base = '/api/v1/projects/review-run';
    await h.call('POST', '/api/v1/projects', { name: 'Review run', baseUrl: 'http://r.test' });
    const mk = async (name: string, status: string): Promise<string> =>
      (await h.call('POST', `${base}/tests`, { name, status, steps: [{ goto: '/' }] })).body.id;
    const approved = await mk('runs', 'approved');
    const edited = await mk('edited later', 'approved');
    await mk('draft', 'draft');
    await mk('rejected', 'rejected');
    await h.call('PATCH', `${base}/tests/${edited}`, { steps: [{ goto: '/other' }] });

    const run = await h.call('POST', `${base}/runs`, {});
    expect(run.status).toBe(202);
    expect(run.body.testIds).toEqual([approved]);
    await h.engine.waitForRun(run.body.id, { timeoutMs: 10_000 });
  });
});
