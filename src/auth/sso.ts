import type { Config } from '../config.ts';
import { AppError, notFound } from '../domain/errors.ts';
import type { Store } from '../store/connect.ts';
import { signInWorkspace } from './accounts.ts';
import { GithubSignIn } from './github-signin.ts';
import { OidcSignIn, openidClient } from './oidc-signin.ts';
import { userForProfile } from './sso-accounts.ts';
import type { SsoProviderConfig } from './sso-config.ts';
import { SsoError, type ProviderFetch } from './sso-errors.ts';

/** How long a started sign-in waits for its callback. */
const SSO_LOGIN_TTL_MS = 10 * 60 * 1000;

/** A provider as the sign-in page lists it. */
export interface ProviderListing {
  id: string;
  name: string;
  kind: SsoProviderConfig['kind'];
}

interface Client {
  config: SsoProviderConfig;
  flow: OidcSignIn | GithubSignIn;
}

/** Only paths of this app after sign-in: never an open redirect. */
function safeReturnTo(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')
    ? next
    : '/projects';
}

/**
 * Sign-in through the configured providers: start (a state, nonce and PKCE verifier remembered
 * in the database for ten minutes, the provider's authorization URL) and finish (the state used
 * once, the provider's answer checked, the account found, linked or created).
 */
export class SsoService {
  readonly #store: Store;
  readonly #clients = new Map<string, Client>();

  /** `fetch` carries every call to a provider (the API passes one behind the SSRF guard). */
  constructor(store: Store, config: Pick<Config, 'ssoProviders'>, fetch: ProviderFetch) {
    this.#store = store;
    for (const p of config.ssoProviders) {
      const flow = p.kind === 'oidc' ? new OidcSignIn(p, fetch) : new GithubSignIn(p, fetch);
      this.#clients.set(p.id, { config: p, flow });
    }
  }

  list(): ProviderListing[] {
    return [...this.#clients.values()].map(({ config: c }) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
    }));
  }

  #client(id: string): Client {
    const c = this.#clients.get(id);
    if (!c) throw notFound('sign-in provider');
    return c;
  }

  /** Begin a sign-in: the URL to send the browser to, and the state to pin in its cookie. */
  async start(
    providerId: string,
    o: { redirectUri: string; next?: string },
  ): Promise<{ url: string; state: string }> {
    const { config, flow } = this.#client(providerId);
    const client = await openidClient();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
    const checks = { redirectUri: o.redirectUri, state, nonce, codeChallenge };
    let url: URL;
    try {
      url = await flow.authorizationUrl(checks);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new AppError('unavailable', `${config.name} sign-in is unavailable: ${why}`);
    }
    await this.#store.ssoLogins.create(
      state,
      {
        provider: config.id,
        codeVerifier,
        nonce,
        redirectUri: o.redirectUri,
        returnTo: safeReturnTo(o.next),
      },
      SSO_LOGIN_TTL_MS,
    );
    return { url: url.href, state };
  }

  /**
   * Finish a sign-in from the provider's callback. `query` is the callback's query string as
   * received. Throws SsoError with the reason the sign-in page shows.
   */
  async finish(
    providerId: string,
    query: URLSearchParams,
  ): Promise<{ userId: string; workspaceId: string; returnTo: string; created: boolean }> {
    const { config, flow } = this.#client(providerId);
    const state = query.get('state') ?? '';
    const pending = await this.#store.ssoLogins.consume(state);
    if (!pending || pending.provider !== config.id) {
      throw new SsoError('expired', 'this sign-in is unknown, used or expired; start again');
    }
    if (query.get('error')) {
      throw new SsoError('cancelled', `${config.name} answered ${query.get('error')}`);
    }
    const callbackUrl = new URL(pending.redirectUri);
    callbackUrl.search = query.toString();
    const profile =
      flow instanceof OidcSignIn
        ? await flow.finish(callbackUrl, {
            state,
            nonce: pending.nonce,
            codeVerifier: pending.codeVerifier,
          })
        : await flow.finish(callbackUrl, {
            state,
            codeVerifier: pending.codeVerifier,
            redirectUri: pending.redirectUri,
          });
    const { userId, created } = await userForProfile(this.#store, config, profile);
    let workspaceId: string;
    try {
      ({ workspaceId } = await signInWorkspace(this.#store, userId));
    } catch {
      throw new SsoError('no_account', 'this account belongs to no workspace');
    }
    return { userId, workspaceId, returnTo: pending.returnTo, created };
  }
}
