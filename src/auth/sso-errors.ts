/**
 * Why a provider sign-in did not end in a session. The callback is a browser navigation, so the
 * reason travels to the sign-in page as `?sso_error=<code>`, which shows its own fixed text:
 * nothing a third party puts in a link is ever displayed.
 */
export const ssoErrorCodes = [
  'cancelled',
  'expired',
  'email_not_verified',
  'domain_not_allowed',
  'no_account',
  'provider_error',
] as const;
export type SsoErrorCode = (typeof ssoErrorCodes)[number];

export class SsoError extends Error {
  readonly code: SsoErrorCode;
  constructor(code: SsoErrorCode, message: string) {
    super(message);
    this.name = 'SsoError';
    this.code = code;
  }
}

/** What a provider told us about the person who signed in. */
export interface ProviderProfile {
  /** The provider's stable id of the account (OpenID `sub`, GitHub's numeric user id). */
  subject: string;
  email: string | null;
  /** The provider vouches that the address is the person's. */
  emailVerified: boolean;
  name: string | null;
}

/** The PKCE, state and nonce values of one started sign-in. */
export interface SsoChecks {
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

/**
 * How provider flows reach the network: a fetch the API layer builds on the SSRF guard (see
 * integrations/guarded-fetch.ts), injected so this layer stays free of outbound plumbing.
 */
export type ProviderFetch = (
  url: string | URL,
  init?: {
    method?: string;
    headers?: Record<string, string> | Headers;
    body?: string | URLSearchParams | null;
    signal?: AbortSignal | null;
  },
) => Promise<Response>;
