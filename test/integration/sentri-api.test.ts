import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';
import { createMember, createTriggerToken, TEST_PASSWORD } from './auth-helpers.ts';

// Sentri's API reference (seed 001): its run endpoints and its Bearer fallback for the session.
let h: Harness;
const P = '/api/v1/projects/sentri-api';
let projectId = '';

async function addTest(name: string, status: 'approved' | 'draft'): Promise<string> {
  const res = await h.call('POST', `${P}/tests`, { name, status, steps: [{ goto: '/' }] });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Sign in as Sentri's docs show; the session token is the access_token cookie's value. */
async function signIn(email: string): Promise<{ token: string; csrf: string }> {
  const res = await fetch(`${h.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: TEST_PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookies = res.headers.getSetCookie();
  const token = /access_token=([^;]+)/.exec(cookies.join('\n'))?.[1];
  const body = (await res.json()) as { csrfToken: string };
  expect(token).toBeTruthy();
  return { token: token!, csrf: body.csrfToken };
}

beforeAll(async () => {
  h = await startHarness({ executor: passingExecutor });
  const res = await h.call('POST', '/api/v1/projects', {
    name: 'Sentri API',
    baseUrl: 'http://sentri.test',
  });
  projectId = res.body.id as string;
});
afterAll(async () => h?.close());

describe('Sentri run endpoints', () => {
  it('POST /projects/:id/run runs every approved test, never drafts', async () => {
    const a = await addTest('approved one', 'approved');
    const b = await addTest('approved two', 'approved');
    await addTest('draft', 'draft');
    const res = await h.call('POST', `${P}/run`, { dialsConfig: { parallelWorkers: 2, x: 1 } });
    expect(res.status).toBe(202);
    expect(res.body.runId).toBe(res.body.id);
    expect(res.body).toMatchObject({ total: 2, parallelWorkers: 2, status: 'queued' });
    expect([...res.body.testIds].sort()).toEqual([a, b].sort());
    expect(res.body.statusUrl).toBe(
      `${h.url}/api/v1/projects/${projectId}/trigger/runs/${res.body.runId}`,
    );
    const run = await h.engine.waitForRun(res.body.runId, { timeoutMs: 10_000 });
    expect(run).toMatchObject({ status: 'passed', passed: 2 });
  });

  it('a body-less POST works (Sentri sends none)', async () => {
    const res = await fetch(`${h.url}${P}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.admin.apiKey}` },
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { runId: string };
    await h.engine.waitForRun(body.runId, { timeoutMs: 10_000 });
  });

  it('POST /projects/:id/tests/:testId/run runs that one test', async () => {
    const one = await addTest('only me', 'approved');
    const res = await h.call('POST', `${P}/tests/${one}/run`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ total: 1, testIds: [one], selection: { testIds: [one] } });
    const run = await h.engine.waitForRun(res.body.runId, { timeoutMs: 10_000 });
    expect(run.status).toBe('passed');
  });

  it('refuses a draft (400 no_tests), an unknown test (404) and a bad dial (400)', async () => {
    const draft = await addTest('still a draft', 'draft');
    errorBody(await h.call('POST', `${P}/tests/${draft}/run`), 400, 'no_tests');
    errorBody(await h.call('POST', `${P}/tests/nope/run`), 404, 'not_found');
    errorBody(
      await h.call('POST', `${P}/run`, { dialsConfig: { parallelWorkers: 999 } }),
      400,
      'validation_failed',
    );
  });

  it('needs an editor with runs:trigger; trigger tokens and other workspaces are refused', async () => {
    const viewer = await createMember(h.store, { role: 'viewer' });
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    errorBody(await h.call('POST', `${P}/run`, undefined, auth(viewer.apiKey)), 403, 'forbidden');
    const readOnly = await createMember(h.store, { role: 'editor', scopes: ['runs:read'] });
    errorBody(await h.call('POST', `${P}/run`, undefined, auth(readOnly.apiKey)), 403, 'forbidden');
    const trigger = await createTriggerToken(h.store, projectId);
    errorBody(await h.call('POST', `${P}/run`, undefined, auth(trigger)), 403, 'forbidden');
    const anonymous = await fetch(`${h.url}${P}/run`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });
});

describe("the session token as Authorization: Bearer (Sentri's fallback for scripts)", () => {
  it('is accepted without the CSRF token, for reads and writes', async () => {
    const { token } = await signIn(h.admin.email);
    const auth = { authorization: `Bearer ${token}` };
    const me = await h.call('GET', '/api/v1/auth/me', undefined, auth);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: 'session', user: { email: h.admin.email } });
    const run = await h.call('POST', `${P}/run`, undefined, auth);
    expect(run.status).toBe(202);
    await h.engine.waitForRun(run.body.runId, { timeoutMs: 10_000 });
  });

  it('the same session as a cookie still needs the CSRF token', async () => {
    const { token, csrf } = await signIn(h.admin.email);
    const cookie = { cookie: `access_token=${token}; _csrf=${csrf}` };
    errorBody(await h.call('POST', `${P}/run`, undefined, cookie), 403, 'csrf_failed');
  });

  it('stops working after sign-out', async () => {
    const { token } = await signIn(h.admin.email);
    const auth = { authorization: `Bearer ${token}` };
    expect((await h.call('POST', '/api/v1/auth/logout', undefined, auth)).status).toBeLessThan(300);
    errorBody(await h.call('GET', '/api/v1/auth/me', undefined, auth), 401, 'unauthorized');
  });

  it('an unknown token of session length is 401', async () => {
    const auth = { authorization: `Bearer ${'x'.repeat(43)}` };
    errorBody(await h.call('GET', '/api/v1/auth/me', undefined, auth), 401, 'unauthorized');
  });
});
