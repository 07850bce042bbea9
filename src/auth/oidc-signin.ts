import type * as client from 'openid-client';
import type { OidcProviderConfig } from './sso-config.ts';
import {
  SsoError,
  type ProviderFetch,
  type ProviderProfile,
  type SsoChecks,
} from './sso-errors.ts';

/** openid-client (and jose), loaded by the first sign-in: a server without SSO never holds them. */
export const openidClient = (): Promise<typeof client> => import('openid-client');

/**
 * Sign-in through one OpenID Connect provider with `openid-client`: discovery (cached once it
 * succeeds), the authorization code flow with PKCE (S256), state and nonce, the ID token checked
 * by the library (issuer, audience, signature, expiry, nonce), and UserInfo when the ID token
 * carries no e-mail. Every request goes through the guarded fetch.
 */
export class OidcSignIn {
  readonly #provider: OidcProviderConfig;
  readonly #fetch: client.CustomFetch;
  #configuration: Promise<client.Configuration> | null = null;

  constructor(provider: OidcProviderConfig, fetch: ProviderFetch) {
    this.#provider = provider;
    this.#fetch = (url, options) => {
      const body = options.body;
      if (body !== undefined && body !== null && typeof body !== 'string') {
        if (!(body instanceof URLSearchParams)) throw new Error('unsupported request body');
      }
      return fetch(url, {
        method: options.method,
        headers: options.headers,
        body: body ?? null,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    };
  }

  /** The provider's configuration, discovered on first use; a failed discovery is retried next time. */
  configuration(): Promise<client.Configuration> {
    if (!this.#configuration) {
      const p = this.#provider;
      // An http issuer is an operator's explicit choice (a local Keycloak); https otherwise.
      const insecure = new URL(p.issuer).protocol === 'http:';
      this.#configuration = openidClient()
        .then((client) =>
          client.discovery(
            new URL(p.issuer),
            p.clientId,
            undefined,
            client.ClientSecretPost(p.clientSecret),
            {
              [client.customFetch]: this.#fetch,
              ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
            },
          ),
        )
        .catch((e: unknown) => {
          this.#configuration = null;
          throw new SsoError('provider_error', `OpenID discovery failed: ${describe(e)}`);
        });
    }
    return this.#configuration;
  }

  /** Where to send the browser to sign in. */
  async authorizationUrl(c: SsoChecks): Promise<URL> {
    const config = await this.configuration();
    const client = await openidClient();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: c.redirectUri,
      scope: this.#provider.scopes.join(' '),
      state: c.state,
      nonce: c.nonce,
      code_challenge: c.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  /** Check the callback, redeem the code and say who signed in. */
  async finish(
    callbackUrl: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<ProviderProfile> {
    const config = await this.configuration();
    const client = await openidClient();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new SsoError('provider_error', `the provider's answer was refused: ${describe(e)}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new SsoError('provider_error', 'the provider sent no ID token');
    let source: Record<string, unknown> = claims;
    if (typeof claims.email !== 'string') {
      try {
        source = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      } catch (e) {
        throw new SsoError('provider_error', `UserInfo failed: ${describe(e)}`);
      }
    }
    const email = typeof source.email === 'string' ? source.email.trim().toLowerCase() : null;
    const stated = source.email_verified;
    const emailVerified =
      stated === true || stated === 'true' || (stated === undefined && this.#provider.trustEmail);
    const name =
      typeof source.name === 'string'
        ? source.name
        : typeof source.preferred_username === 'string'
          ? source.preferred_username
          : null;
    return { subject: claims.sub, email, emailVerified, name };
  }
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
  return `${e.message}${cause}`.slice(0, 300);
}
