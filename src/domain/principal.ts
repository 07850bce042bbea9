/** Roles inside a workspace, weakest first. */
export const roles = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof roles)[number];

/** Scopes a personal API key can carry; `admin` implies every other scope. */
export const scopes = [
  'runs:trigger',
  'runs:read',
  'runs:cancel',
  'tests:write',
  'scan',
  'admin',
] as const;
export type Scope = (typeof scopes)[number];

/**
 * Who is calling. Set once per request by the API's authentication hook; every route decides
 * from it alone. A trigger token is bound to one project and only opens trigger endpoints.
 */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      email: string;
      workspaceId: string;
      role: Role;
      /** `session` (cookie, CSRF-checked) or `api_key` (personal key with scopes). */
      via: 'session' | 'api_key';
      /** Scopes of the API key; null for a session (a session has every scope its role allows). */
      scopes: Scope[] | null;
      /** Key or session id, for logs and `last used`; never the secret. */
      credentialId: string;
    }
  | {
      kind: 'trigger';
      tokenId: string;
      projectId: string;
      workspaceId: string;
      /** `trigger` (trigger endpoints) and/or `scan` (the scan gate); absent: `trigger` only. */
      scopes?: readonly string[];
    };

/** True when `role` is at least `min`. */
export function roleAtLeast(role: Role, min: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(min);
}

/** True when a user principal may use `scope` (sessions: any scope; keys: listed or admin). */
export function hasScope(p: Principal, scope: Scope): boolean {
  if (p.kind !== 'user') return false;
  return p.scopes === null || p.scopes.includes('admin') || p.scopes.includes(scope);
}
