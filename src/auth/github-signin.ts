import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import type { GithubProviderConfig } from './sso-config.ts';
import {
  SsoError,
  type ProviderFetch,
  type ProviderProfile,
  type SsoChecks,
} from './sso-errors.ts';

/** Read the profile and the addresses; nothing that writes. */
const SCOPES = 'read:user user:email';
const API_HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  'user-agent': `Greenlight/${pkg.version} (+sign-in)`,
};

const tokenAnswer = z.union([
  z.object({ access_token: z.string().min(1), token_type: z.string(), scope: z.string() }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);
const userAnswer = z.object({
  id: z.number().int(),
  login: z.string(),
  name: z.string().nullable().optional(),
});
const emailsAnswer = z.array(
  z.object({ email: z.string(), primary: z.boolean(), verified: z.boolean() }),
);

/**
 * GitHub's OAuth app web flow: authorize (with state and PKCE, which GitHub supports) → code →
 * access token → `GET /user` and `GET /user/emails`. The address used is the primary one, and
 * only when GitHub marks it verified.
 */
export class GithubSignIn {
  readonly #provider: GithubProviderConfig;
  readonly #fetch: ProviderFetch;

  constructor(provider: GithubProviderConfig, fetch: ProviderFetch) {
    this.#provider = provider;
    this.#fetch = fetch;
  }

  authorizationUrl(c: SsoChecks): URL {
    const url = new URL(`${this.#provider.webUrl}/login/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: this.#provider.clientId,
      redirect_uri: c.redirectUri,
      scope: SCOPES,
      state: c.state,
      code_challenge: c.codeChallenge,
      code_challenge_method: 'S256',
      allow_signup: 'false',
    }).toString();
    return url;
  }

  async finish(
    callbackUrl: URL,
    expected: { state: string; codeVerifier: string; redirectUri: string },
  ): Promise<ProviderProfile> {
    const q = callbackUrl.searchParams;
    const code = q.get('code');
    // The state was matched to the started sign-in already; this is the same check, kept local.
    if (!code || q.get('state') !== expected.state) {
      throw new SsoError('provider_error', 'GitHub sent no code for this sign-in');
    }
    const token = await this.#json(
      `${this.#provider.webUrl}/login/oauth/access_token`,
      {
        method: 'POST',
        headers: { accept: 'application/json', 'user-agent': API_HEADERS['user-agent'] },
        body: new URLSearchParams({
          client_id: this.#provider.clientId,
          client_secret: this.#provider.clientSecret,
          code,
          redirect_uri: expected.redirectUri,
          code_verifier: expected.codeVerifier,
        }),
      },
      tokenAnswer,
    );
    // GitHub answers a bad code with 200 and an `error` field.
    if ('error' in token) {
      throw new SsoError(
        'provider_error',
        `GitHub refused the code: ${token.error}${token.error_description ? ` (${token.error_description})` : ''}`,
      );
    }
    const auth = { ...API_HEADERS, authorization: `Bearer ${token.access_token}` };
    const user = await this.#json(`${this.#provider.apiUrl}/user`, { headers: auth }, userAnswer);
    const emails = await this.#json(
      `${this.#provider.apiUrl}/user/emails`,
      { headers: auth },
      emailsAnswer,
    );
    const primary = emails.find((e) => e.primary);
    return {
      subject: String(user.id),
      email: primary ? primary.email.trim().toLowerCase() : null,
      emailVerified: primary?.verified === true,
      name: user.name ?? user.login,
    };
  }

  async #json<T>(
    url: string,
    init: Parameters<ProviderFetch>[1],
    schema: z.ZodType<T>,
  ): Promise<T> {
    const where = new URL(url).pathname;
    let res: Response;
    try {
      res = await this.#fetch(url, init);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new SsoError('provider_error', `GitHub could not be reached (${where}): ${why}`);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new SsoError('provider_error', `GitHub answered HTTP ${res.status} to ${where}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SsoError('provider_error', `GitHub's answer to ${where} is not JSON`);
    }
    const r = schema.safeParse(parsed);
    if (!r.success) {
      throw new SsoError('provider_error', `GitHub's answer to ${where} has an unexpected shape`);
    }
    return r.data;
  }
}
