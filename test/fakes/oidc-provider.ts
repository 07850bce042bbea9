import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

// A REAL OpenID Connect provider (the `oidc-provider` package, certified by the OpenID
// Foundation) on 127.0.0.1: discovery, JWKS, authorization with PKCE, token, UserInfo. Only the
// person at the keyboard is scripted: the interaction step signs in `nextLogin` (or denies when
// it is null) instead of showing a login form.

/** The account the provider signs in at the next interaction. */
export interface OidcTestAccount {
  sub: string;
  email: string;
  email_verified?: boolean;
  name?: string;
}

export interface FakeOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in next; null: the person cancels (access_denied). */
  nextLogin: OidcTestAccount | null;
  /** Register the relying party's callback URL(s); call once, before the first sign-in. */
  register(redirectUris: string[]): void;
  /** Requests the provider served, as `METHOD /path` (discovery, token, userinfo, …). */
  requests: string[];
  close(): Promise<void>;
}

export async function startOidcProvider(): Promise<FakeOidcProvider> {
  let provider: Provider | null = null;
  const requests: string[] = [];
  const state: { nextLogin: OidcTestAccount | null } = { nextLogin: null };
  const accounts = new Map<string, OidcTestAccount>();

  async function interaction(req: IncomingMessage, res: ServerResponse, p: Provider) {
    const details = await p.interactionDetails(req, res);
    const who = state.nextLogin;
    if (!who) {
      await p.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'the person cancelled' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    accounts.set(who.sub, who);
    const clientId = String(details.params.client_id);
    const grant = new p.Grant({ accountId: who.sub, clientId });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await p.interactionFinished(
      req,
      res,
      { login: { accountId: who.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    const p = provider;
    if (!p) {
      res.writeHead(503).end('provider not configured yet');
      return;
    }
    if (path.startsWith('/interaction/')) {
      interaction(req, res, p).catch((e: unknown) => {
        res.writeHead(500).end(e instanceof Error ? e.message : String(e));
      });
      return;
    }
    void p.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'greenlight-test';
  const clientSecret = 'a-client-secret-of-enough-length-0123456789';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });

  return {
    issuer,
    clientId,
    clientSecret,
    requests,
    get nextLogin() {
      return state.nextLogin;
    },
    set nextLogin(v) {
      state.nextLogin = v;
    },
    register(redirectUris) {
      const configuration: Configuration = {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        jwks: { keys: [{ ...jwk, kid: 'test-key', use: 'sig', alg: 'RS256' }] as never },
        cookies: { keys: ['a-cookie-signing-key-for-tests'] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
        pkce: { required: () => true },
        ttl: {
          AccessToken: 600,
          AuthorizationCode: 60,
          Grant: 600,
          IdToken: 600,
          Interaction: 600,
          Session: 600,
        },
        findAccount: (_ctx, sub) => {
          const a = accounts.get(sub);
          if (!a) return undefined;
          return {
            accountId: sub,
            claims: () => ({
              sub,
              email: a.email,
              email_verified: a.email_verified ?? true,
              ...(a.name ? { name: a.name } : {}),
            }),
          };
        },
      };
      provider = new Provider(issuer, configuration);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
