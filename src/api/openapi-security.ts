// The OpenAPI document declares how to authenticate, so Swagger UI's "Authorize" and "Try it
// out" work: the same credentials the auth hook (auth.ts) accepts, per route.
import { isPublic, type RouteAuthConfig } from './auth.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from './cookies.ts';

export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'A personal API key (glk_…) or a project trigger token (glt_…).',
  },
  apiKeyHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'The same API key or trigger token, in the X-API-Key header.',
  },
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The dashboard session (sign in at /sign-in, or POST /api/v1/auth/login).',
  },
  csrfToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description: `With the session cookie, requests that change something send the ${CSRF_COOKIE} cookie's value here.`,
  },
} as const;

type Requirement = Record<string, string[]>;
const token: Requirement[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
const anyCredential: Requirement[] = [...token, { sessionCookie: [], csrfToken: [] }];

/** The security requirement of one route, as the auth hook enforces it. */
function routeSecurity(url: string, config: RouteAuthConfig): Requirement[] {
  if (isPublic(url, config)) return [];
  return anyCredential;
}

interface TransformInput {
  schema: unknown;
  url: string;
  route: { config?: unknown };
}

/** Wrap the zod transform so every route's schema carries its security requirement. */
export function withSecurity<I extends TransformInput, O extends { schema: unknown; url: string }>(
  transform: (input: I) => O,
): (input: I) => O {
  return (input) => {
    const out = transform(input);
    const config = (input.route.config ?? {}) as RouteAuthConfig;
    const security = routeSecurity(input.url, config);
    return { ...out, schema: { ...(out.schema as object), security } };
  };
}
