import { z } from 'zod';
import { roles, type Role } from '../domain/principal.ts';

/** What every sign-in provider has: who may come in through it and what they get. */
interface ProviderBase {
  /** The path segment of its routes (`/auth/oidc/<id>/start`) and the key of linked accounts. */
  id: string;
  /** The button's label on the sign-in page. */
  name: string;
  clientId: string;
  clientSecret: string;
  /** Lower-cased e-mail domains admitted; empty admits any verified address. */
  allowedDomains: string[];
  /** Create an account for a verified address that has none (else only existing accounts). */
  autoCreate: boolean;
  /** The role of a created account in the default workspace. */
  role: Role;
}

/** A generic OpenID Connect provider (Google, GitLab, Keycloak, Entra ID, …), found by discovery. */
export interface OidcProviderConfig extends ProviderBase {
  kind: 'oidc';
  /** Issuer URL; its `/.well-known/openid-configuration` is read. */
  issuer: string;
  scopes: string[];
  /**
   * Take the `email` claim as verified when the provider sends no `email_verified` (Entra ID
   * does not); an explicit `email_verified: false` is refused all the same.
   */
  trustEmail: boolean;
}

/** GitHub's (or GitHub Enterprise's) OAuth app flow. */
export interface GithubProviderConfig extends ProviderBase {
  kind: 'github';
  /** Where users authorize: `https://github.com` or the Enterprise host. */
  webUrl: string;
  /** The REST API root: `https://api.github.com` or `https://host/api/v3`. */
  apiUrl: string;
}

export type SsoProviderConfig = OidcProviderConfig | GithubProviderConfig;

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const list = z.string().transform((v) =>
  v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean),
);
const domains = list.transform((v) => v.map((d) => d.toLowerCase().replace(/^@/, '')));
const httpUrl = z.url({ protocol: /^https?$/ });

const ssoEnvSchema = z.object({
  GREENLIGHT_OIDC_ISSUER: httpUrl.optional(),
  GREENLIGHT_OIDC_CLIENT_ID: z.string().min(1).optional(),
  GREENLIGHT_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  GREENLIGHT_OIDC_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'lower-case letters, digits and dashes')
    .refine((v) => v !== 'github', 'github is the GitHub provider')
    .optional(),
  GREENLIGHT_OIDC_NAME: z.string().min(1).max(60).optional(),
  GREENLIGHT_OIDC_SCOPES: list.optional(),
  GREENLIGHT_OIDC_ALLOWED_DOMAINS: domains.optional(),
  GREENLIGHT_OIDC_AUTO_CREATE: flag.optional(),
  GREENLIGHT_OIDC_ROLE: z.enum(roles).optional(),
  GREENLIGHT_OIDC_TRUST_EMAIL: flag.optional(),
  GREENLIGHT_GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GREENLIGHT_GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  GREENLIGHT_GITHUB_OAUTH_URL: httpUrl.optional(),
  GREENLIGHT_GITHUB_ALLOWED_DOMAINS: domains.optional(),
  GREENLIGHT_GITHUB_AUTO_CREATE: flag.optional(),
  GREENLIGHT_GITHUB_ROLE: z.enum(roles).optional(),
});

/**
 * The sign-in providers configured in the environment: one generic OpenID Connect provider
 * (GREENLIGHT_OIDC_*) and GitHub (GREENLIGHT_GITHUB_CLIENT_*). A half-configured provider is an
 * error naming what is missing, never silently absent.
 */
export function ssoProvidersFrom(
  env: NodeJS.ProcessEnv,
  o: { githubApiUrl: string },
): SsoProviderConfig[] {
  const parsed = ssoEnvSchema.safeParse(env);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${msg}`);
  }
  const e = parsed.data;
  const out: SsoProviderConfig[] = [];
  const oidcSet = [e.GREENLIGHT_OIDC_ISSUER, e.GREENLIGHT_OIDC_CLIENT_ID].some(Boolean);
  if (oidcSet) {
    requireAll('OIDC', {
      GREENLIGHT_OIDC_ISSUER: e.GREENLIGHT_OIDC_ISSUER,
      GREENLIGHT_OIDC_CLIENT_ID: e.GREENLIGHT_OIDC_CLIENT_ID,
      GREENLIGHT_OIDC_CLIENT_SECRET: e.GREENLIGHT_OIDC_CLIENT_SECRET,
    });
    const scopes = e.GREENLIGHT_OIDC_SCOPES ?? ['openid', 'email', 'profile'];
    out.push({
      kind: 'oidc',
      id: e.GREENLIGHT_OIDC_ID ?? 'oidc',
      name: e.GREENLIGHT_OIDC_NAME ?? 'Single sign-on',
      issuer: e.GREENLIGHT_OIDC_ISSUER!,
      clientId: e.GREENLIGHT_OIDC_CLIENT_ID!,
      clientSecret: e.GREENLIGHT_OIDC_CLIENT_SECRET!,
      // `openid` makes it OpenID Connect, `email` brings the address accounts are matched by.
      scopes: [...new Set(['openid', 'email', ...scopes])],
      allowedDomains: e.GREENLIGHT_OIDC_ALLOWED_DOMAINS ?? [],
      autoCreate: e.GREENLIGHT_OIDC_AUTO_CREATE ?? false,
      role: e.GREENLIGHT_OIDC_ROLE ?? 'viewer',
      trustEmail: e.GREENLIGHT_OIDC_TRUST_EMAIL ?? false,
    });
  }
  if (e.GREENLIGHT_GITHUB_CLIENT_ID || e.GREENLIGHT_GITHUB_CLIENT_SECRET) {
    requireAll('GitHub', {
      GREENLIGHT_GITHUB_CLIENT_ID: e.GREENLIGHT_GITHUB_CLIENT_ID,
      GREENLIGHT_GITHUB_CLIENT_SECRET: e.GREENLIGHT_GITHUB_CLIENT_SECRET,
    });
    out.push({
      kind: 'github',
      id: 'github',
      name: 'GitHub',
      clientId: e.GREENLIGHT_GITHUB_CLIENT_ID!,
      clientSecret: e.GREENLIGHT_GITHUB_CLIENT_SECRET!,
      webUrl: (e.GREENLIGHT_GITHUB_OAUTH_URL ?? 'https://github.com').replace(/\/+$/, ''),
      apiUrl: o.githubApiUrl.replace(/\/+$/, ''),
      allowedDomains: e.GREENLIGHT_GITHUB_ALLOWED_DOMAINS ?? [],
      autoCreate: e.GREENLIGHT_GITHUB_AUTO_CREATE ?? false,
      role: e.GREENLIGHT_GITHUB_ROLE ?? 'viewer',
    });
  }
  return out;
}

function requireAll(what: string, vars: Record<string, string | undefined>): void {
  const missing = Object.entries(vars)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) {
    throw new Error(`invalid configuration: ${what} sign-in also needs ${missing.join(', ')}`);
  }
}
