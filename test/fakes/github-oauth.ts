import { createHash, randomBytes } from 'node:crypto';
import { startFakeServer, type FakeRequest, type FakeServer } from './fake-http.ts';

// GitHub's OAuth app web flow and the two REST calls a sign-in makes, on 127.0.0.1, checking
// each request against GitHub's documentation ("Authorizing OAuth apps", "REST API: users,
// emails"): the documented parameters only, PKCE S256 verified, the code single-use and tied to
// its redirect_uri, JSON asked for at the token endpoint, the API called with a Bearer token, a
// User-Agent, the documented Accept and API version. The web flow is at /login/oauth/…, the
// REST API under /api/v3 (GitHub Enterprise's layout).

export interface GithubTestUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface FakeGithubOAuth extends FakeServer {
  clientId: string;
  clientSecret: string;
  /** GREENLIGHT_GITHUB_OAUTH_URL */
  webUrl: string;
  /** GREENLIGHT_GITHUB_API_URL */
  apiUrl: string;
  /** Who approves at the next authorize; null: the person cancels. */
  nextLogin: GithubTestUser | null;
}

const AUTHORIZE_PARAMS = [
  'client_id',
  'redirect_uri',
  'login',
  'scope',
  'state',
  'allow_signup',
  'prompt',
  'code_challenge',
  'code_challenge_method',
];
const TOKEN_PARAMS = [
  'client_id',
  'client_secret',
  'code',
  'redirect_uri',
  'code_verifier',
  'repository_id',
];
const API_VERSIONS = ['2022-11-28', '2026-03-10'];

export async function startGithubOAuth(): Promise<FakeGithubOAuth> {
  const clientId = 'Iv1.0123456789abcdef';
  const clientSecret = 'fake-github-client-secret-0123456789abcdef';
  // The handlers read who approves from the returned object (set by the test).
  const state: { nextLogin: GithubTestUser | null } = { nextLogin: null };
  const codes = new Map<
    string,
    { user: GithubTestUser; redirectUri: string; challenge: string | null; used: boolean }
  >();
  const tokens = new Map<string, GithubTestUser>();

  function authorize(req: FakeRequest, violate: (why: string) => void) {
    const q = req.query;
    for (const k of q.keys())
      if (!AUTHORIZE_PARAMS.includes(k)) violate(`undocumented parameter ${k}`);
    if (q.get('client_id') !== clientId) violate('unknown client_id');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !URL.canParse(redirectUri)) violate('redirect_uri missing or not a URL');
    const scopes = (q.get('scope') ?? '').split(/[ ,]+/);
    if (!scopes.includes('user:email')) violate('scope lacks user:email (needed for /user/emails)');
    if (!q.get('state')) violate('no state (GitHub: "strongly recommended", CSRF)');
    const challenge = q.get('code_challenge');
    if (challenge !== null) {
      if (q.get('code_challenge_method') !== 'S256') violate('code_challenge_method must be S256');
      if (!/^[A-Za-z0-9_-]{43}$/.test(challenge))
        violate('code_challenge is not a SHA-256 base64url');
    }
    const back = new URL(redirectUri ?? 'http://invalid.test/');
    const who = state.nextLogin;
    if (!who) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(10).toString('hex');
      codes.set(code, { user: who, redirectUri: redirectUri ?? '', challenge, used: false });
      back.searchParams.set('code', code);
    }
    if (q.get('state')) back.searchParams.set('state', q.get('state')!);
    return { status: 302, headers: { location: back.href } };
  }

  function token(req: FakeRequest, violate: (why: string) => void) {
    if (!String(req.headers.accept ?? '').includes('application/json')) {
      violate('Accept: application/json missing (GitHub would answer form-encoded)');
    }
    const b = (req.body ?? {}) as Record<string, string>;
    for (const k of Object.keys(b))
      if (!TOKEN_PARAMS.includes(k)) violate(`undocumented parameter ${k}`);
    const bad = {
      status: 200,
      body: {
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
        error_uri:
          'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
      },
    };
    if (b.client_id !== clientId || b.client_secret !== clientSecret) {
      return { status: 200, body: { error: 'incorrect_client_credentials' } };
    }
    const grant = codes.get(b.code ?? '');
    if (!grant || grant.used) return bad;
    grant.used = true;
    if (b.redirect_uri !== grant.redirectUri) {
      return { status: 200, body: { error: 'redirect_uri_mismatch' } };
    }
    if (grant.challenge !== null) {
      const computed = createHash('sha256')
        .update(b.code_verifier ?? '')
        .digest('base64url');
      if (computed !== grant.challenge) return bad;
    }
    const accessToken = `gho_${randomBytes(18).toString('base64url')}`;
    tokens.set(accessToken, grant.user);
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'bearer', scope: 'read:user,user:email' },
    };
  }

  function apiUser(req: FakeRequest, violate: (why: string) => void): GithubTestUser | null {
    if (!req.headers['user-agent']) violate('no User-Agent (GitHub refuses such requests)');
    const accept = String(req.headers.accept ?? '');
    if (accept !== 'application/vnd.github+json')
      violate(`Accept ${accept}, documented: application/vnd.github+json`);
    const version = String(req.headers['x-github-api-version'] ?? '');
    if (version && !API_VERSIONS.includes(version))
      violate(`unknown X-GitHub-Api-Version ${version}`);
    const m = /^(?:Bearer|token) (.+)$/.exec(String(req.headers.authorization ?? ''));
    return (m && tokens.get(m[1]!)) || null;
  }

  const server = await startFakeServer((req, violate) => {
    if (req.method === 'GET' && req.path === '/login/oauth/authorize')
      return authorize(req, violate);
    if (req.method === 'POST' && req.path === '/login/oauth/access_token')
      return token(req, violate);
    if (req.method === 'GET' && req.path === '/api/v3/user') {
      const u = apiUser(req, violate);
      if (!u) return { status: 401, body: { message: 'Requires authentication' } };
      const primary = u.emails.find((e) => e.primary);
      return {
        status: 200,
        body: {
          login: u.login,
          id: u.id,
          node_id: `U_${u.id}`,
          type: 'User',
          site_admin: false,
          name: u.name,
          email: primary?.email ?? null,
        },
      };
    }
    if (req.method === 'GET' && req.path === '/api/v3/user/emails') {
      const u = apiUser(req, violate);
      if (!u) return { status: 401, body: { message: 'Requires authentication' } };
      return {
        status: 200,
        body: u.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })),
      };
    }
    violate('not a documented OAuth or REST operation');
    return { status: 404, body: { message: 'Not Found' } };
  });
  const fake: FakeGithubOAuth = Object.assign(server, {
    clientId,
    clientSecret,
    webUrl: server.url,
    apiUrl: `${server.url}/api/v3`,
    nextLogin: null,
  });
  Object.defineProperty(fake, 'nextLogin', {
    get: () => state.nextLogin,
    set: (v: GithubTestUser | null) => {
      state.nextLogin = v;
    },
  });
  return fake;
}
