import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GithubProviderConfig } from '../../src/auth/sso-config.ts';
import { loadConfig } from '../../src/config.ts';
import { startGithubOAuth, type FakeGithubOAuth } from '../fakes/github-oauth.ts';
import { BrowserJar } from '../helpers/browser-jar.ts';
import { startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';

// Sign-in through GitHub's OAuth flow against a fake GitHub on 127.0.0.1 that checks every
// request against GitHub's documented shapes (see test/fakes/github-oauth.ts).
let gh: FakeGithubOAuth;
let h: Harness;

beforeAll(async () => {
  gh = await startGithubOAuth();
  const github: GithubProviderConfig = {
    kind: 'github',
    id: 'github',
    name: 'GitHub',
    clientId: gh.clientId,
    clientSecret: gh.clientSecret,
    webUrl: gh.webUrl,
    apiUrl: gh.apiUrl,
    allowedDomains: [],
    autoCreate: false,
    role: 'viewer',
  };
  h = await startHarness({
    config: { allowPrivateUrls: ['loopback'], ssoProviders: [github] },
  });
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
});
afterAll(async () => {
  await h?.close();
  await gh?.close();
});

const start = `/api/v1/auth/oidc/github/start`;

async function meOf(jar: BrowserJar): Promise<{ email?: string } | null> {
  const token = jar.cookies(h.url).access_token;
  if (!token) return null;
  const res = await fetch(`${h.url}/api/v1/auth/me`, {
    headers: { cookie: `access_token=${token}` },
  });
  return res.status === 200 ? ((await res.json()) as { user: { email: string } }).user : null;
}

describe('GitHub sign-in', () => {
  it('signs in the account whose address is the verified primary one, with PKCE and state', async () => {
    const dana = await createMember(h.store, { role: 'editor', email: 'dana@example.test' });
    gh.nextLogin = {
      id: 4242,
      login: 'dana',
      name: 'Dana',
      emails: [
        { email: 'dana-old@example.test', primary: false, verified: true },
        { email: 'Dana@example.test', primary: true, verified: true },
      ],
    };
    const jar = new BrowserJar();
    const nav = await jar.navigate(`${h.url}${start}?next=/projects`);
    expect(nav.url.href).toBe(`${h.url}/projects`);
    expect((await meOf(jar))?.email).toBe('dana@example.test');
    expect((await h.store.userIdentities.find('github', '4242'))?.userId).toBe(dana.userId);
    const calls = gh.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual([
      'GET /login/oauth/authorize',
      'POST /login/oauth/access_token',
      'GET /api/v3/user',
      'GET /api/v3/user/emails',
    ]);
    const authorize = gh.requests[0]!.query;
    expect(authorize.get('code_challenge_method')).toBe('S256');
    expect(authorize.get('redirect_uri')).toBe(`${h.url}/api/v1/auth/oidc/github/callback`);
    // The client secret goes only to the token endpoint, never into the browser's URLs.
    expect(nav.visited.join(' ')).not.toContain(gh.clientSecret);
  });

  it('refuses an unverified primary address, an unknown address (no auto-create), and a cancel', async () => {
    const cases: [FakeGithubOAuth['nextLogin'], string][] = [
      [
        {
          id: 7,
          login: 'unverified',
          name: null,
          emails: [{ email: 'dana@example.test', primary: true, verified: false }],
        },
        'email_not_verified',
      ],
      [
        {
          id: 8,
          login: 'stranger',
          name: null,
          emails: [{ email: 'stranger@example.test', primary: true, verified: true }],
        },
        'no_account',
      ],
      [null, 'cancelled'],
    ];
    for (const [who, code] of cases) {
      gh.nextLogin = who;
      const jar = new BrowserJar();
      const nav = await jar.navigate(`${h.url}${start}`);
      expect(`${nav.url.pathname}${nav.url.search}`).toBe(`/sign-in?sso_error=${code}`);
      expect(await meOf(jar)).toBeNull();
    }
    // The unverified address did not get linked to dana's account.
    expect(await h.store.userIdentities.find('github', '7')).toBeUndefined();
    expect(await h.store.accounts.findByEmail('stranger@example.test')).toBeUndefined();
  });
});

describe('GitHub configuration', () => {
  it('reads GREENLIGHT_GITHUB_* and refuses a half configuration by name', () => {
    const c = loadConfig({
      GREENLIGHT_GITHUB_CLIENT_ID: 'id',
      GREENLIGHT_GITHUB_CLIENT_SECRET: 'secret',
      GREENLIGHT_GITHUB_ALLOWED_DOMAINS: 'Example.com, @corp.test',
      GREENLIGHT_GITHUB_AUTO_CREATE: '1',
    });
    expect(c.ssoProviders).toEqual([
      expect.objectContaining({
        kind: 'github',
        webUrl: 'https://github.com',
        apiUrl: 'https://api.github.com',
        allowedDomains: ['example.com', 'corp.test'],
        autoCreate: true,
        role: 'viewer',
      }),
    ]);
    expect(() => loadConfig({ GREENLIGHT_GITHUB_CLIENT_ID: 'id' })).toThrow(
      /GREENLIGHT_GITHUB_CLIENT_SECRET/,
    );
    expect(() => loadConfig({ GREENLIGHT_OIDC_ISSUER: 'https://accounts.google.com' })).toThrow(
      /GREENLIGHT_OIDC_CLIENT_ID, GREENLIGHT_OIDC_CLIENT_SECRET/,
    );
    const oidc = loadConfig({
      GREENLIGHT_OIDC_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
      GREENLIGHT_OIDC_CLIENT_ID: 'cid',
      GREENLIGHT_OIDC_CLIENT_SECRET: 'cs',
      GREENLIGHT_OIDC_NAME: 'Entra ID',
      GREENLIGHT_OIDC_SCOPES: 'openid profile',
      GREENLIGHT_OIDC_TRUST_EMAIL: '1',
    }).ssoProviders[0];
    expect(oidc).toMatchObject({
      kind: 'oidc',
      id: 'oidc',
      name: 'Entra ID',
      scopes: ['openid', 'email', 'profile'],
      trustEmail: true,
    });
  });
});
