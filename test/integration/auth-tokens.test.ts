import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, checkLogin, register } from '../../src/auth/accounts.ts';
import { resolveSession, resolveToken } from '../../src/auth/credentials.ts';
import { verifyPassword } from '../../src/auth/passwords.ts';
import { openStore } from '../../src/store/connect.ts';
import { dialects, openTestStore } from '../fixtures/engine/test-stores.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { TEST_PASSWORD } from './auth-helpers.ts';

const run = promisify(execFile);
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (const name of ['Alpha', 'Beta']) {
    await h.call('POST', '/api/v1/projects', { name, baseUrl: `http://${name}.test` });
  }
});
afterAll(async () => {
  await h?.close();
});

describe('project trigger tokens', () => {
  it('shows the token once; lists name, prefix, created and last use only', async () => {
    const created = await h.call('POST', '/api/v1/projects/alpha/trigger-tokens', {
      name: 'GitHub Actions',
    });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^glt_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({
      name: 'GitHub Actions',
      prefix: token.slice(0, 12),
      expiresAt: null,
    });
    expect(Object.keys(created.body).sort()).toEqual(
      ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'scopes', 'token'].sort(),
    );

    // Used once (outside trigger routes it opens nothing, but it is recognised and recorded).
    const used = await h.call('GET', '/api/v1/projects/alpha', undefined, bearer(token));
    expect(errorBody(used, 403, 'forbidden').error).toMatch(/trigger endpoints/);

    const list = await h.call('GET', '/api/v1/projects/alpha/trigger-tokens');
    expect(list.status).toBe(200);
    const item = list.body.items.find((t: { id: string }) => t.id === created.body.id);
    expect(item).toMatchObject({ name: 'GitHub Actions', prefix: token.slice(0, 12) });
    expect(item.token).toBeUndefined();
    expect(item.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(token);
  });

  it('accepts an aegis_ prefix in front of the token', async () => {
    const { body } = await h.call('POST', '/api/v1/projects/alpha/trigger-tokens', {});
    const res = await h.call('GET', '/api/v1/projects', undefined, bearer(`aegis_${body.token}`));
    // Recognised (403: a trigger token outside a trigger route), not refused as unknown (401).
    errorBody(res, 403, 'forbidden');
  });

  it('refuses a revoked or expired token with 401', async () => {
    const { body } = await h.call('POST', '/api/v1/projects/alpha/trigger-tokens', { name: 'x' });
    const del = await h.call('DELETE', `/api/v1/projects/alpha/trigger-tokens/${body.id}`);
    expect(del.status).toBe(204);
    errorBody(
      await h.call('DELETE', `/api/v1/projects/alpha/trigger-tokens/${body.id}`),
      404,
      'not_found',
    );
    errorBody(
      await h.call('GET', '/api/v1/projects', undefined, bearer(body.token)),
      401,
      'unauthorized',
    );

    const alpha = await h.store.projects.get('alpha');
    const { token } = await h.store.triggerTokens.create(alpha!.id, {
      name: 'old',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const expired = await h.call('GET', '/api/v1/projects', undefined, bearer(token));
    expect(errorBody(expired, 401, 'unauthorized').error).toMatch(/expired/);
    errorBody(
      await h.call('POST', '/api/v1/projects/alpha/trigger-tokens', {
        expiresAt: '2000-01-01T00:00:00Z',
      }),
      400,
      'validation_failed',
    );
  });

  it('never lets a trigger token manage tokens, of its own project or another', async () => {
    const { body } = await h.call('POST', '/api/v1/projects/alpha/trigger-tokens', {});
    for (const project of ['alpha', 'beta']) {
      for (const [method, payload] of [
        ['GET', undefined],
        ['POST', { name: 'more' }],
      ] as const) {
        const res = await h.call(
          method,
          `/api/v1/projects/${project}/trigger-tokens`,
          payload,
          bearer(body.token),
        );
        errorBody(res, 403, 'forbidden');
      }
    }
  });

  it('needs editor to create and revoke tokens', async () => {
    const added = await h.call('POST', '/api/v1/workspace/members', {
      email: 'tok-viewer@example.test',
      role: 'viewer',
      password: TEST_PASSWORD,
    });
    const viewerKey = await h.store.apiKeys.create({
      userId: added.body.userId,
      workspaceId: h.admin.workspaceId,
      name: 'v',
      scopes: ['admin'],
    });
    const headers = bearer(viewerKey.token);
    expect(
      (await h.call('GET', '/api/v1/projects/alpha/trigger-tokens', undefined, headers)).status,
    ).toBe(200);
    errorBody(
      await h.call('POST', '/api/v1/projects/alpha/trigger-tokens', { name: 'v' }, headers),
      403,
      'forbidden',
    );
  });

  it('hard-deletes the tokens of a deleted project', async () => {
    await h.call('POST', '/api/v1/projects', { name: 'Doomed', baseUrl: 'http://doomed.test' });
    const doomed = await h.store.projects.get('doomed');
    const a = await h.call('POST', '/api/v1/projects/doomed/trigger-tokens', { name: 'a' });
    await h.call('POST', '/api/v1/projects/doomed/trigger-tokens', { name: 'b' });
    const count = async (): Promise<number> =>
      (
        await h.store.db
          .selectFrom('trigger_tokens')
          .select('id')
          .where('project_id', '=', doomed!.id)
          .execute()
      ).length;
    expect(await count()).toBe(2);
    expect((await h.call('DELETE', '/api/v1/projects/doomed')).status).toBe(204);
    expect(await count()).toBe(0);
    errorBody(
      await h.call('GET', '/api/v1/projects', undefined, bearer(a.body.token)),
      401,
      'unauthorized',
    );
  });
});

describe('what the database holds', () => {
  it('keeps Argon2id password hashes and only SHA-256 hashes of tokens, keys and sessions', async () => {
    const users = await h.store.db.selectFrom('users').select(['email', 'password_hash']).execute();
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) {
      expect(u.password_hash).toMatch(
        /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/,
      );
      expect(u.password_hash).not.toContain(TEST_PASSWORD);
    }
    const salts = new Set(users.map((u) => u.password_hash.split('$')[4]));
    expect(salts.size).toBe(users.length);
    const admin = users.find((u) => u.email === h.admin.email);
    expect(await verifyPassword(TEST_PASSWORD, admin!.password_hash)).toBe(true);

    const created = await h.call('POST', '/api/v1/projects/beta/trigger-tokens', { name: 'db' });
    const row = await h.store.db
      .selectFrom('trigger_tokens')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256(created.body.token));
    expect(JSON.stringify(row)).not.toContain(created.body.token);

    const key = await h.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('user_id', '=', h.admin.userId)
      .executeTakeFirstOrThrow();
    expect(key.token_hash).toBe(sha256(h.admin.apiKey));
    expect(JSON.stringify(key)).not.toContain(h.admin.apiKey);

    const login = await h.call(
      'POST',
      '/api/v1/auth/login',
      { email: h.admin.email, password: TEST_PASSWORD },
      { cookie: '' },
    );
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('access_token='))!
      .split(';')[0]!
      .slice('access_token='.length);
    const sessions = await h.store.db.selectFrom('sessions').select('token_hash').execute();
    expect(sessions.map((s) => s.token_hash)).toContain(sha256(decodeURIComponent(cookie)));
    expect(JSON.stringify(sessions)).not.toContain(decodeURIComponent(cookie));
  });
});

describe('first user and the command line', () => {
  for (const dialect of dialects) {
    it(`gives the first user the default workspace and every existing project (${dialect})`, async () => {
      const t = await openTestStore(dialect);
      const { store } = t;
      try {
        const old = await store.projects.create({
          slug: 'old',
          name: 'Old',
          baseUrl: 'http://o.test',
        });
        expect(old.workspaceId).toBeNull();
        const first = await register(
          store,
          { email: 'First@Example.test', password: 'first-password' },
          { openRegistration: false },
        );
        expect(first).toMatchObject({ role: 'admin', workspace: { isDefault: true } });
        expect((await store.projects.get('old'))?.workspaceId).toBe(first.workspace.id);
        expect((await checkLogin(store, 'first@example.test', 'first-password'))?.id).toBe(
          first.user.id,
        );
        // Closed registration refuses everyone after the first.
        await expect(
          register(
            store,
            { email: 'second@example.test', password: 'x'.repeat(10) },
            { openRegistration: false },
          ),
        ).rejects.toThrow(/closed/);
        const member = await addMember(store, first.workspace.id, {
          email: 'member@example.test',
          role: 'viewer',
          password: 'member-password',
        });
        expect(member.created).toBe(true);
        expect(
          (await store.accounts.members(first.workspace.id)).map((m) => m.role).sort(),
        ).toEqual(['admin', 'viewer']);
        const key = await store.apiKeys.create({
          userId: member.user.id,
          workspaceId: first.workspace.id,
          name: 'k',
          scopes: ['runs:read'],
        });
        const viaKey = await resolveToken(store, key.token);
        expect(viaKey).toMatchObject({ ok: true, principal: { kind: 'user', role: 'viewer' } });
        const { token } = await store.triggerTokens.create(old.id, { name: 't' });
        expect(await resolveToken(store, `aegis_${token}`)).toMatchObject({
          ok: true,
          principal: { kind: 'trigger', projectId: old.id, workspaceId: first.workspace.id },
        });
        const session = await store.sessions.create({
          userId: first.user.id,
          workspaceId: first.workspace.id,
          ttlMs: 60_000,
        });
        expect(await resolveSession(store, session.token)).toMatchObject({
          ok: true,
          principal: { via: 'session', role: 'admin' },
        });
        await store.projects.softDelete(old.id);
        expect(await resolveToken(store, token)).toEqual({ ok: false, reason: 'invalid' });
        expect(await store.triggerTokens.list(old.id)).toEqual([]);
      } finally {
        await t.dispose();
      }
    });
  }

  it('creates the first admin and a trigger token head-less', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-cli-'));
    const env = { ...process.env, GREENLIGHT_DATA_DIR: dir, GREENLIGHT_LOG_LEVEL: 'silent' };
    const cli = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
      run(process.execPath, ['bin/greenlight.js', ...args], { env, timeout: 30_000 });
    try {
      await cli('project', 'create', 'Shop', '--base-url', 'http://shop.test');
      const admin = await cli(
        'user',
        'create',
        '--email',
        'ops@example.test',
        '--password',
        'ops-password',
        '--admin',
      );
      expect(admin.stdout).toMatch(/ops@example\.test .* admin of workspace "Default"/);
      const viewer = await cli(
        'user',
        'create',
        '--email',
        'v@example.test',
        '--password',
        'v-password',
        '--role',
        'viewer',
      );
      expect(viewer.stdout).toMatch(/viewer of workspace "Default"/);
      const made = await cli(
        'token',
        'create',
        '--project',
        'shop',
        '--name',
        'GitLab',
        '--expires-in-days',
        '30',
      );
      const token = made.stdout.trim();
      expect(token).toMatch(/^glt_[A-Za-z0-9_-]{43}$/);
      expect(made.stderr).toMatch(/shown only now/);
      await expect(cli('token', 'create', '--project', 'nope')).rejects.toMatchObject({ code: 2 });

      const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
      try {
        const found = await store.triggerTokens.findByHash(sha256(token));
        const shop = await store.projects.get('shop');
        expect(found).toMatchObject({ projectId: shop!.id, name: 'GitLab' });
        expect(Date.parse(found!.expiresAt!)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
        const ws = await store.accounts.defaultWorkspace();
        expect(shop!.workspaceId).toBe(ws!.id);
        const ops = await store.accounts.findByEmail('ops@example.test');
        expect(await store.accounts.roleOf(ws!.id, ops!.id)).toBe('admin');
      } finally {
        await store.close();
      }
      const listed = await cli('token', 'list', '--project', 'shop');
      expect(listed.stdout).toContain(token.slice(0, 12));
      expect(listed.stdout).not.toContain(token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
