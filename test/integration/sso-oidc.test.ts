import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OidcProviderConfig } from '../../src/auth/sso-config.ts';
import { NO_PASSWORD } from '../../src/store/accounts.ts';
import { startOidcProvider, type FakeOidcProvider } from '../fakes/oidc-provider.ts';
import { BrowserJar } from '../helpers/browser-jar.ts';
import { startHarness, type Harness } from './api-harness.ts';
import { createMember, TEST_PASSWORD } from './auth-helpers.ts';

// Sign-in through OpenID Connect against a REAL provider (oidc-provider) on 127.0.0.1: discovery,
// PKCE, state, nonce, ID token and UserInfo all happen for real; only the person's clicks at the
// provider are scripted.
let idp: FakeOidcProvider;
let h: Harness;
const ID = 'keycloak';

const provider = (issuer: string, o: Partial<OidcProviderConfig> = {}): OidcProviderConfig => ({
  kind: 'oidc',
  id: ID,
  name: 'Keycloak',
  issuer,
  clientId: idp.clientId,
  clientSecret: idp.clientSecret,
  scopes: ['openid', 'email', 'profile'],
  allowedDomains: ['corp.test'],
  autoCreate: true,
  role: 'viewer',
  trustEmail: false,
  ...o,
});

const startUrl = (next?: string): string =>
  `${h.url}/api/v1/auth/oidc/${ID}/start${next ? `?next=${encodeURIComponent(next)}` : ''}`;

async function me(
  jar: BrowserJar,
): Promise<{ status: number; body: { user?: { email: string }; role?: string } }> {
  const c = jar.cookies(h.url);
  const res = await fetch(`${h.url}/api/v1/auth/me`, {
    headers: c.access_token ? { cookie: `access_token=${c.access_token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as { user?: { email: string } } };
}

beforeAll(async () => {
  idp = await startOidcProvider();
  h = await startHarness({
    config: { allowPrivateUrls: ['loopback'], ssoProviders: [provider(idp.issuer)] },
  });
  idp.register([`${h.url}/api/v1/auth/oidc/${ID}/callback`]);
});
afterAll(async () => {
  await h?.close();
  await idp?.close();
});

describe('OpenID Connect sign-in', () => {
  it('lists the provider for the sign-in page', async () => {
    const res = await fetch(`${h.url}/api/v1/auth/providers`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      providers: [
        { id: ID, name: 'Keycloak', kind: 'oidc', startUrl: `/api/v1/auth/oidc/${ID}/start` },
      ],
      emailVerificationRequired: false,
      openRegistration: false,
    });
  });

  it('signs an existing account in by its verified e-mail, links it, and returns to `next`', async () => {
    const alice = await createMember(h.store, { role: 'editor', email: 'alice@corp.test' });
    idp.nextLogin = { sub: 'alice-at-idp', email: 'Alice@corp.test', name: 'Alice' };
    const jar = new BrowserJar();
    const nav = await jar.navigate(startUrl('/projects/p1/runs'));
    // Greenlight → provider (authorize, interaction, resume) → Greenlight callback → dashboard.
    expect(nav.visited[1]).toMatch(new RegExp(`^${idp.issuer}/auth\\?`));
    const authorize = new URL(nav.visited[1]!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(nav.url.href).toBe(`${h.url}/projects/p1/runs`);
    const who = await me(jar);
    expect(who.status).toBe(200);
    expect(who.body.user?.email).toBe('alice@corp.test');
    expect(who.body.role).toBe('editor');

    const identity = await h.store.userIdentities.find(ID, 'alice-at-idp');
    expect(identity?.userId).toBe(alice.userId);
    // The provider's token and UserInfo endpoints were really used.
    expect(idp.requests).toContain('POST /token');
    expect(idp.requests).toContain('GET /me');
    // The password still works: linking does not touch it.
    const login = await fetch(`${h.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@corp.test', password: TEST_PASSWORD }),
    });
    expect(login.status).toBe(200);
  });

  it('creates an account for a new verified address of an allowed domain, with the configured role and no password', async () => {
    idp.nextLogin = { sub: 'bob-at-idp', email: 'bob@corp.test', name: 'Bob' };
    const jar = new BrowserJar();
    const nav = await jar.navigate(startUrl());
    expect(nav.url.pathname).toBe('/projects');
    const who = await me(jar);
    expect(who.body.user?.email).toBe('bob@corp.test');
    expect(who.body.role).toBe('viewer');
    const bob = await h.store.accounts.findByEmail('bob@corp.test');
    expect(bob?.passwordHash).toBe(NO_PASSWORD);
    expect(bob?.emailVerifiedAt).not.toBeNull();
    expect(bob?.name).toBe('Bob');

    // The next sign-in finds the same account through the link, not a new one.
    const again = new BrowserJar();
    await again.navigate(startUrl());
    expect((await me(again)).body.user?.email).toBe('bob@corp.test');
    const users = await h.store.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'bob@corp.test')
      .execute();
    expect(users).toHaveLength(1);
  });

  it('refuses an address outside the allowed domains, an unverified address, and a cancelled sign-in', async () => {
    const cases: [NonNullable<FakeOidcProvider['nextLogin']> | null, string][] = [
      [{ sub: 'eve', email: 'eve@elsewhere.test' }, 'domain_not_allowed'],
      [{ sub: 'mallory', email: 'mallory@corp.test', email_verified: false }, 'email_not_verified'],
      [null, 'cancelled'],
    ];
    for (const [who, code] of cases) {
      idp.nextLogin = who;
      const jar = new BrowserJar();
      const nav = await jar.navigate(startUrl());
      expect(`${nav.url.pathname}${nav.url.search}`).toBe(`/sign-in?sso_error=${code}`);
      expect(jar.cookies(h.url).access_token).toBeUndefined();
    }
    expect(await h.store.accounts.findByEmail('eve@elsewhere.test')).toBeUndefined();
    expect(await h.store.accounts.findByEmail('mallory@corp.test')).toBeUndefined();
  });

  it('a callback works once, and only in the browser that started the sign-in', async () => {
    idp.nextLogin = { sub: 'carol-at-idp', email: 'carol@corp.test' };
    // Stop at the callback: run the flow up to Greenlight's callback URL without opening it.
    const jar = new BrowserJar();
    const nav = await jar.navigate(startUrl());
    const callback = nav.visited.find((u) => u.includes(`/auth/oidc/${ID}/callback`));
    expect(callback).toBeDefined();
    // Replayed in the same browser: the state was used.
    const replay = await jar.navigate(callback!);
    expect(replay.url.search).toBe('?sso_error=expired');

    // A callback link planted in another browser (login CSRF) is refused.
    idp.nextLogin = { sub: 'carol-at-idp', email: 'carol@corp.test' };
    const attacker = new BrowserJar();
    const start = await fetch(startUrl(), { redirect: 'manual' });
    const authorizeUrl = start.headers.get('location')!;
    // The attacker completes the provider part in their own browser, stopping before Greenlight.
    let url = new URL(authorizeUrl);
    let planted = '';
    for (let i = 0; i < 10; i++) {
      const r = await attacker.navigateOnce(url);
      if (r.startsWith(`${h.url}/api/v1/auth/oidc/${ID}/callback`)) {
        planted = r;
        break;
      }
      url = new URL(r);
    }
    expect(planted).not.toBe('');
    const victim = new BrowserJar();
    const landed = await victim.navigate(planted);
    expect(landed.url.search).toBe('?sso_error=expired');
    expect(victim.cookies(h.url).access_token).toBeUndefined();
  });

  it('an unknown provider is a 404 in the error shape', async () => {
    const res = await fetch(`${h.url}/api/v1/auth/oidc/nope/start`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('not_found');
  });
});

describe('the SSRF guard', () => {
  it('refuses an issuer on a loopback address unless GREENLIGHT_ALLOW_PRIVATE_URLS allows it', async () => {
    const guarded = await startHarness({ config: { ssoProviders: [provider(idp.issuer)] } });
    try {
      const before = idp.requests.length;
      const res = await fetch(`${guarded.url}/api/v1/auth/oidc/${ID}/start`, {
        redirect: 'manual',
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe('unavailable');
      expect(body.error).toMatch(/sign-in provider URL host "127\.0\.0\.1" resolves to a loopback/);
      expect(idp.requests.length).toBe(before);
    } finally {
      await guarded.close();
    }
  });
});
