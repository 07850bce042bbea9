import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type ApiResponse, type Harness } from './api-harness.ts';
import { TEST_PASSWORD } from './auth-helpers.ts';

let h: Harness;
beforeAll(async () => {
  // The general limiter's sign-in tier would stop this file's many sign-ins first; the
  // per-account limiter of the login route is what is tested here.
  h = await startHarness({
    config: {
      openRegistration: true,
      rateLimit: 'on',
      rateLimits: {
        auth: { max: 10_000, windowMs: 900_000 },
        bad_credential: { max: 10_000, windowMs: 900_000 },
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

interface Session {
  cookie: string;
  csrf: string;
  res: ApiResponse;
}

/** The cookies a response sets, as name → { value, attributes }. */
function setCookies(res: ApiResponse): Record<string, { value: string; attrs: string }> {
  const out: Record<string, { value: string; attrs: string }> = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair = '', ...attrs] = c.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = {
      value: decodeURIComponent(pair.slice(eq + 1)),
      attrs: attrs.join(';'),
    };
  }
  return out;
}

function sessionFrom(res: ApiResponse): Session {
  const c = setCookies(res);
  const token = c['access_token']?.value ?? '';
  const csrf = c['_csrf']?.value ?? '';
  return { cookie: `access_token=${encodeURIComponent(token)}; _csrf=${csrf}`, csrf, res };
}

async function login(email: string, password = TEST_PASSWORD): Promise<Session> {
  const res = await h.call('POST', '/api/v1/auth/login', { email, password }, { cookie: '' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return sessionFrom(res);
}

/** A request with the session cookie, and its CSRF header unless `csrf: false`. */
function asSession(
  s: Session,
  method: string,
  path: string,
  body?: unknown,
  o: { csrf?: boolean } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { cookie: s.cookie };
  if (o.csrf !== false) headers['x-csrf-token'] = s.csrf;
  return h.call(method, path, body, headers);
}

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('accounts and sessions', () => {
  it('registers a later user into a workspace of their own, signed in', async () => {
    const res = await h.call(
      'POST',
      '/api/v1/auth/register',
      { email: 'Bob@Example.test', password: 'bobs-password', name: 'Bob' },
      { cookie: '' },
    );
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email: 'bob@example.test', name: 'Bob' });
    expect(res.body.role).toBe('admin');
    expect(res.body.workspaceId).not.toBe(h.admin.workspaceId);
    const c = setCookies(res);
    expect(c['access_token']?.attrs).toMatch(/HttpOnly/);
    expect(c['access_token']?.attrs).toMatch(/SameSite=Lax/);
    expect(c['_csrf']?.attrs).not.toMatch(/HttpOnly/);
    expect(c['_csrf']?.value).toBe(res.body.csrfToken);
    errorBody(
      await h.call(
        'POST',
        '/api/v1/auth/register',
        { email: 'bob@example.test', password: 'another-one' },
        { cookie: '' },
      ),
      409,
      'conflict',
    );
  });

  it('signs in, tells who is calling, signs out', async () => {
    const s = await login(h.admin.email);
    expect(s.res.body).toMatchObject({ user: { email: h.admin.email }, role: 'admin' });
    expect(s.res.body.csrfToken).toBe(s.csrf);
    const me = await asSession(s, 'GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: { email: h.admin.email },
      workspace: { id: h.admin.workspaceId, name: 'Default' },
      role: 'admin',
      via: 'session',
      scopes: null,
    });
    const out = await asSession(s, 'POST', '/api/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(setCookies(out)['access_token']?.attrs).toMatch(/Max-Age=0/);
    errorBody(await asSession(s, 'GET', '/api/v1/auth/me'), 401, 'unauthorized');
  });

  it('answers a wrong password and an unknown e-mail with the same message', async () => {
    const wrong = await h.call(
      'POST',
      '/api/v1/auth/login',
      { email: h.admin.email, password: 'not the password' },
      { cookie: '' },
    );
    const unknown = await h.call(
      'POST',
      '/api/v1/auth/login',
      { email: 'nobody@example.test', password: 'not the password' },
      { cookie: '' },
    );
    expect(errorBody(wrong, 401, 'unauthorized').error).toBe('Invalid email or password.');
    expect(errorBody(unknown, 401, 'unauthorized').error).toBe('Invalid email or password.');
  });

  it('limits failed sign-ins per IP and e-mail with 429 and Retry-After', async () => {
    await h.call('POST', '/api/v1/workspace/members', {
      email: 'target@example.test',
      role: 'viewer',
      password: TEST_PASSWORD,
    });
    const attempt = (password: string): Promise<ApiResponse> =>
      h.call(
        'POST',
        '/api/v1/auth/login',
        { email: 'target@example.test', password },
        { cookie: '' },
      );
    for (let i = 0; i < 10; i++) errorBody(await attempt(`guess-${i}`), 401, 'unauthorized');
    const limited = await attempt(TEST_PASSWORD);
    errorBody(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same address is not locked out by it.
    expect((await login(h.admin.email)).res.status).toBe(200);
  });

  it('changes the password and ends the other sessions', async () => {
    await h.call('POST', '/api/v1/workspace/members', {
      email: 'changer@example.test',
      role: 'editor',
      password: 'first-password',
    });
    const a = await login('changer@example.test', 'first-password');
    const b = await login('changer@example.test', 'first-password');
    errorBody(
      await asSession(a, 'POST', '/api/v1/auth/password', {
        currentPassword: 'wrong-password',
        newPassword: 'second-password',
      }),
      403,
      'forbidden',
    );
    const changed = await asSession(a, 'POST', '/api/v1/auth/password', {
      currentPassword: 'first-password',
      newPassword: 'second-password',
    });
    expect(changed.status).toBe(204);
    expect((await asSession(a, 'GET', '/api/v1/auth/me')).status).toBe(200);
    errorBody(await asSession(b, 'GET', '/api/v1/auth/me'), 401, 'unauthorized');
    const old = await h.call(
      'POST',
      '/api/v1/auth/login',
      { email: 'changer@example.test', password: 'first-password' },
      { cookie: '' },
    );
    errorBody(old, 401, 'unauthorized');
    expect((await login('changer@example.test', 'second-password')).res.status).toBe(200);
  });
});

describe('CSRF and credentials', () => {
  it('refuses a mutating session request without the CSRF header, accepts it with', async () => {
    const s = await login(h.admin.email);
    const body = { name: 'Csrf site', baseUrl: 'http://csrf.test' };
    errorBody(
      await asSession(s, 'POST', '/api/v1/projects', body, { csrf: false }),
      403,
      'csrf_failed',
    );
    const wrong = await h.call('POST', '/api/v1/projects', body, {
      cookie: s.cookie,
      'x-csrf-token': 'x'.repeat(43),
    });
    errorBody(wrong, 403, 'csrf_failed');
    // The token is this session's: another session's token, even with a _csrf cookie planted to
    // match it (double submit alone would accept that), is refused.
    const other = await login(h.admin.email);
    const planted = await h.call('POST', '/api/v1/projects', body, {
      cookie: s.cookie.replace(/_csrf=[^;]*/, `_csrf=${other.csrf}`),
      'x-csrf-token': other.csrf,
    });
    errorBody(planted, 403, 'csrf_failed');
    expect((await asSession(s, 'POST', '/api/v1/projects', body)).status).toBe(201);
    // Reads need no CSRF token.
    expect((await asSession(s, 'GET', '/api/v1/projects', undefined, { csrf: false })).status).toBe(
      200,
    );
  });

  it('accepts a Bearer or X-API-Key personal key without CSRF', async () => {
    const body = { name: 'Key site', baseUrl: 'http://key.test' };
    expect((await h.call('POST', '/api/v1/projects', body, bearer(h.admin.apiKey))).status).toBe(
      201,
    );
    const viaHeader = await h.call('GET', '/api/v1/projects/key-site', undefined, {
      'x-api-key': h.admin.apiKey,
    });
    expect(viaHeader.status).toBe(200);
  });

  it('answers anonymous callers 401, except on public routes', async () => {
    for (const path of ['/api/v1/projects', '/api/v1/auth/me', '/api/v1/projects/key-site/tests']) {
      errorBody(await h.call('GET', path, undefined, { cookie: '' }), 401, 'unauthorized');
    }
    errorBody(
      await h.call('GET', '/api/v1/projects', undefined, bearer('glk_nope')),
      401,
      'unauthorized',
    );
    for (const path of ['/api/v1/health', '/api/v1/schemas/test.json', '/openapi.json']) {
      expect((await h.call('GET', path, undefined, { cookie: '' })).status).toBe(200);
    }
  });
});

describe('personal API keys', () => {
  it('shows the key once, lists its prefix and last use, and refuses it once revoked', async () => {
    const s = await login(h.admin.email);
    const created = await asSession(s, 'POST', '/api/v1/auth/api-keys', {
      name: 'script',
      scopes: ['runs:read', 'runs:trigger'],
    });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^glk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.prefix).toBe(key.slice(0, 12));
    expect((await h.call('GET', '/api/v1/projects', undefined, bearer(key))).status).toBe(200);
    const list = await asSession(s, 'GET', '/api/v1/auth/api-keys');
    const item = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(item).toMatchObject({
      name: 'script',
      prefix: key.slice(0, 12),
      scopes: ['runs:read', 'runs:trigger'],
    });
    expect(item.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect((await asSession(s, 'DELETE', `/api/v1/auth/api-keys/${created.body.id}`)).status).toBe(
      204,
    );
    const revoked = await h.call('GET', '/api/v1/projects', undefined, bearer(key));
    expect(errorBody(revoked, 401, 'unauthorized').error).toMatch(/revoked/);
  });

  it('refuses an expired key', async () => {
    const { token } = await h.store.apiKeys.create({
      userId: h.admin.userId,
      workspaceId: h.admin.workspaceId,
      name: 'old',
      scopes: ['admin'],
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const res = await h.call('GET', '/api/v1/projects', undefined, bearer(token));
    expect(errorBody(res, 401, 'unauthorized').error).toMatch(/expired/);
  });

  it('enforces scopes: a runs:read key reads but cannot create a test', async () => {
    await h.call('POST', '/api/v1/projects', { name: 'Scoped', baseUrl: 'http://scoped.test' });
    const created = await h.call('POST', '/api/v1/auth/api-keys', {
      name: 'ro',
      scopes: ['runs:read'],
    });
    const key: string = created.body.key;
    expect(
      (await h.call('GET', '/api/v1/projects/scoped/tests', undefined, bearer(key))).status,
    ).toBe(200);
    const write = await h.call(
      'POST',
      '/api/v1/projects/scoped/tests',
      { name: 't', steps: [{ goto: '/' }] },
      bearer(key),
    );
    expect(errorBody(write, 403, 'forbidden').error).toMatch(/tests:write/);
    // A key cannot mint a key with more scopes.
    errorBody(
      await h.call('POST', '/api/v1/auth/api-keys', { name: 'x', scopes: ['admin'] }, bearer(key)),
      403,
      'forbidden',
    );
  });
});

describe('roles and workspaces', () => {
  it('lets a viewer read but not write, and only admins delete projects', async () => {
    await h.call('POST', '/api/v1/projects', { name: 'Roles', baseUrl: 'http://roles.test' });
    const added = await h.call('POST', '/api/v1/workspace/members', {
      email: 'viewer@example.test',
      role: 'viewer',
      password: TEST_PASSWORD,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ email: 'viewer@example.test', role: 'viewer' });
    const v = await login('viewer@example.test');
    expect((await asSession(v, 'GET', '/api/v1/projects/roles')).status).toBe(200);
    expect((await asSession(v, 'GET', '/api/v1/projects/roles/tests')).status).toBe(200);
    const write = await asSession(v, 'POST', '/api/v1/projects/roles/tests', {
      name: 'nope',
      steps: [{ goto: '/' }],
    });
    expect(errorBody(write, 403, 'forbidden').error).toMatch(/editor/);
    errorBody(
      await asSession(v, 'PATCH', '/api/v1/projects/roles', { name: 'X' }),
      403,
      'forbidden',
    );
    errorBody(
      await asSession(v, 'POST', '/api/v1/projects', { name: 'V', baseUrl: 'http://v.test' }),
      403,
      'forbidden',
    );
    errorBody(
      await asSession(v, 'POST', '/api/v1/workspace/members', {
        email: 'x@example.test',
        role: 'admin',
      }),
      403,
      'forbidden',
    );

    // Promote to editor (same account, attached again): writes work, deleting still needs admin.
    const promoted = await h.call('POST', '/api/v1/workspace/members', {
      email: 'viewer@example.test',
      role: 'editor',
    });
    expect(promoted.status).toBe(200);
    const test = await asSession(v, 'POST', '/api/v1/projects/roles/tests', {
      name: 'now allowed',
      steps: [{ goto: '/' }],
    });
    expect(test.status).toBe(201);
    errorBody(await asSession(v, 'DELETE', '/api/v1/projects/roles'), 403, 'forbidden');
    const members = await h.call('GET', '/api/v1/workspace/members');
    expect(members.body.items.map((m: { email: string }) => m.email)).toContain(
      'viewer@example.test',
    );
  });

  it('never shows a project of another workspace: 404 and not listed', async () => {
    await h.call('POST', '/api/v1/projects', { name: 'Secret', baseUrl: 'http://secret.test' });
    const reg = await h.call(
      'POST',
      '/api/v1/auth/register',
      { email: 'eve@example.test', password: 'eves-password' },
      { cookie: '' },
    );
    const eve = sessionFrom(reg);
    const list = await asSession(eve, 'GET', '/api/v1/projects');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    const secret = await h.call('GET', '/api/v1/projects/secret');
    for (const ref of ['secret', secret.body.id]) {
      errorBody(await asSession(eve, 'GET', `/api/v1/projects/${ref}`), 404, 'not_found');
      errorBody(await asSession(eve, 'GET', `/api/v1/projects/${ref}/tests`), 404, 'not_found');
      errorBody(await asSession(eve, 'POST', `/api/v1/projects/${ref}/runs`, {}), 404, 'not_found');
      errorBody(await asSession(eve, 'DELETE', `/api/v1/projects/${ref}`), 404, 'not_found');
      errorBody(
        await asSession(eve, 'POST', `/api/v1/projects/${ref}/trigger-tokens`, { name: 'x' }),
        404,
        'not_found',
      );
    }
    // Eve's own project lives in her workspace only.
    const own = await asSession(eve, 'POST', '/api/v1/projects', {
      name: 'Eve site',
      baseUrl: 'http://eve.test',
    });
    expect(own.status).toBe(201);
    errorBody(await h.call('GET', '/api/v1/projects/eve-site'), 404, 'not_found');
    const adminList = await h.call('GET', '/api/v1/projects');
    expect(adminList.body.items.map((p: { slug: string }) => p.slug)).not.toContain('eve-site');
  });
});
