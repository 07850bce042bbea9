import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  resolveSession,
  resolveToken,
  sameSecret,
  type CredentialFailure,
} from '../auth/credentials.ts';
import { AppError, notFound } from '../domain/errors.ts';
import type { Project } from '../domain/project.ts';
import {
  hasScope,
  roleAtLeast,
  type Principal,
  type Role,
  type Scope,
} from '../domain/principal.ts';
import type { Store } from '../store/connect.ts';
import { csrfTokenFor, readCookies, SESSION_COOKIE } from './cookies.ts';
import { API_PREFIX } from './dto.ts';
import { isStaticRoute } from './web-app.ts';

/**
 * Per-route authentication settings (`config: { auth: … }` on a route):
 * - `public`: no credential needed (health, schemas, sign-in);
 * - `trigger`: a project trigger token is accepted besides users (trigger endpoints only);
 * - `role` / `scope`: override what the project scope asks of a user for this route.
 */
export interface RouteAuthConfig {
  /** `scan`: a trigger token with the scan scope is accepted besides users (scan-gate routes). */
  auth?: 'public' | 'trigger' | 'scan';
  role?: Role;
  scope?: Scope;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuthConfig['auth'];
    role?: Role;
    scope?: Scope;
  }
  interface FastifyRequest {
    /** Who is calling; null when anonymous. Set by the authentication hook. */
    principal: Principal | null;
    /** The session id when the caller came with the session cookie. */
    sessionId: string | null;
    /** Why a presented credential was refused (for the 401 message). */
    credentialFailure: CredentialFailure | null;
  }
}

/** Routes anyone may call; everything else answers 401 to an anonymous caller. */
const PUBLIC_ROUTES = new Set([
  `${API_PREFIX}/health`,
  `${API_PREFIX}/schemas/test.json`,
  `${API_PREFIX}/auth/login`,
  `${API_PREFIX}/auth/register`,
  '/openapi.json',
]);

/** Sign-in and registration start a session; a stale cookie must not need a CSRF token there. */
const CSRF_EXEMPT = new Set([
  `${API_PREFIX}/auth/login`,
  `${API_PREFIX}/auth/register`,
  `${API_PREFIX}/auth/forgot-password`,
  `${API_PREFIX}/auth/reset-password`,
  `${API_PREFIX}/auth/verify-email`,
  `${API_PREFIX}/auth/resend-verification`,
]);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const failureMessages: Record<CredentialFailure | 'missing', string> = {
  missing: 'Authentication required: sign in, or send a Bearer token or an X-API-Key header.',
  invalid: 'Missing or invalid Bearer token.',
  expired: 'Token has expired.',
  revoked: 'Token has been revoked.',
  no_workspace: 'Token no longer belongs to a workspace.',
};

const unauthorized = (req: FastifyRequest): AppError =>
  new AppError('unauthorized', failureMessages[req.credentialFailure ?? 'missing']);

const TRIGGER_ONLY = 'Trigger tokens only open trigger endpoints.';

/**
 * Public is opt-in: a route says `auth: 'public'`, is listed above, or serves static files (the
 * dashboard's shell and assets, the trace viewer, the API docs), which hold no data. Every other
 * route, under /api or not (the sentrik-compatible /scan-gate, for one), needs a credential.
 */
export function isPublic(url: string, config: RouteAuthConfig): boolean {
  return (
    config.auth === 'public' ||
    PUBLIC_ROUTES.has(url) ||
    url.startsWith('/docs') ||
    isStaticRoute(url)
  );
}

/** The presented secret of `Authorization: Bearer …` or `X-API-Key: …`, if any. */
function presentedToken(req: FastifyRequest): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1];
  }
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.trim() !== '') return key;
  return null;
}

/**
 * Install the one authentication hook on the root app (before any route is registered): it sets
 * `req.principal` from a Bearer / X-API-Key credential or the session cookie, enforces CSRF on
 * session requests that change something, answers 401 to anonymous callers of non-public routes
 * and 403 to trigger tokens outside trigger routes. Finer checks (role, scope, workspace) are the
 * routes' and the project scope's, through the `require…` functions below.
 */
export function registerAuth(app: FastifyInstance, deps: { store: Store }): void {
  const { store } = deps;
  app.decorateRequest('principal', null);
  app.decorateRequest('sessionId', null);
  app.decorateRequest('credentialFailure', null);

  app.addHook('onRequest', async (req) => {
    const url = req.routeOptions.url;
    const config: RouteAuthConfig = req.routeOptions.config ?? {};
    const presented = presentedToken(req);
    if (presented !== null) {
      const r = await resolveToken(store, presented);
      if (r.ok) {
        req.principal = r.principal;
        req.sessionId = r.sessionId ?? null;
      } else req.credentialFailure = r.reason;
    } else {
      const cookies = readCookies(req.headers.cookie);
      const session = cookies[SESSION_COOKIE];
      if (session) {
        // A stale or unknown cookie leaves the caller anonymous (so signing in again works).
        const r = await resolveSession(store, session);
        if (r.ok) {
          req.principal = r.principal;
          req.sessionId = r.sessionId ?? null;
          if (!SAFE_METHODS.has(req.method) && !(url && CSRF_EXEMPT.has(url))) {
            // Bound to this session: the token must be this session's, not merely equal to
            // the _csrf cookie (which a sibling subdomain could plant with its own value).
            const header = req.headers['x-csrf-token'];
            if (typeof header !== 'string' || !sameSecret(header, csrfTokenFor(session))) {
              throw new AppError(
                'csrf_failed',
                'Missing or wrong CSRF token: send the _csrf cookie value in X-CSRF-Token.',
              );
            }
          }
        }
      }
    }
    if (url === undefined || isPublic(url, config)) return; // unknown routes: the 404 handler
    if (!req.principal) throw unauthorized(req);
    checkKeyScope(req, url, config);
    if (req.principal.kind === 'trigger' && config.auth !== 'trigger' && config.auth !== 'scan') {
      throw new AppError('forbidden', TRIGGER_ONLY);
    }
  });
}

function checkRoleAndScope(p: Principal & { kind: 'user' }, minRole: Role, scope?: Scope): void {
  if (!roleAtLeast(p.role, minRole)) {
    throw new AppError('forbidden', `This needs the ${minRole} role; you are ${p.role}.`);
  }
  if (scope && !hasScope(p, scope)) {
    throw new AppError('forbidden', `This API key lacks the ${scope} scope.`);
  }
}

/** The calling user with at least `minRole` (and `scope`, for API keys) in their workspace. */
export function requireUser(
  req: FastifyRequest,
  minRole: Role,
  scope?: Scope,
): Principal & { kind: 'user' } {
  const p = req.principal;
  if (!p) throw unauthorized(req);
  if (p.kind !== 'user') {
    throw new AppError(
      'forbidden',
      'This needs a user session or a personal API key, not a trigger token.',
    );
  }
  checkRoleAndScope(p, minRole, scope);
  return p;
}

/**
 * A user of the project's workspace with `minRole` (and `scope`). A project of another
 * workspace answers 404, exactly as a missing one: its existence is not revealed.
 */
export function requireProjectAccess(
  req: FastifyRequest,
  project: Project,
  minRole: Role,
  scope?: Scope,
): void {
  const p = req.principal;
  if (!p) throw unauthorized(req);
  if (p.kind !== 'user') throw new AppError('forbidden', TRIGGER_ONLY);
  if (project.workspaceId === null || project.workspaceId !== p.workspaceId) {
    throw notFound('project');
  }
  checkRoleAndScope(p, minRole, scope);
}

/**
 * A trigger token used on a project not its own: 404 when the project is another workspace's
 * (exactly what a missing one answers: no existence oracle across tenants), else the seed's
 * `403 Token belongs to a different project` (Sentri's documented error, same workspace).
 */
function foreignToken(p: Principal & { kind: 'trigger' }, project: Project): AppError {
  if (p.workspaceId !== project.workspaceId) return notFound('project');
  return new AppError('forbidden', 'Token belongs to a different project');
}

/**
 * Trigger endpoints: a trigger token of THIS project, or a user of the project's workspace with
 * `minRole` and `scope` (editor and runs:trigger by default; status reads may ask viewer and
 * runs:read). 401 without a valid credential.
 */
export function requireTriggerAccess(
  req: FastifyRequest,
  project: Project,
  minRole: Role = 'editor',
  scope: Scope = 'runs:trigger',
): Principal {
  const p = req.principal;
  if (!p) throw unauthorized(req);
  if (p.kind === 'trigger') {
    if (p.projectId !== project.id) throw foreignToken(p, project);
    if (!(p.scopes ?? ['trigger']).includes('trigger')) {
      throw new AppError('forbidden', 'This trigger token has only the scan scope.');
    }
    return p;
  }
  requireProjectAccess(req, project, minRole, scope);
  return p;
}

/**
 * Scan-gate endpoints: a trigger token of THIS project with the `scan` scope, or a user of the
 * project's workspace with `minRole` (API keys need the `scan` scope).
 */
export function requireScanAccess(
  req: FastifyRequest,
  project: Project,
  minRole: Role = 'editor',
): Principal {
  const p = req.principal;
  if (!p) throw unauthorized(req);
  if (p.kind === 'trigger') {
    if (p.projectId !== project.id) throw foreignToken(p, project);
    if (!(p.scopes ?? ['trigger']).includes('scan')) {
      throw new AppError(
        'forbidden',
        'This trigger token lacks the scan scope; create one with scopes ["scan"].',
      );
    }
    return p;
  }
  requireProjectAccess(req, project, minRole, 'scan');
  return p;
}

/**
 * The scope a personal API key needs for a project route, from its method and path: reads need
 * runs:read; starting and stopping runs, runs:trigger and runs:cancel; tests and what they are
 * made of, tests:write; the scan gate, scan. Everything else — the project itself, environments
 * and secrets, notifications, schedules, callback secret, deliveries — needs admin: a key that
 * was given less can never change them.
 */
function defaultScope(method: string, url: string): Scope {
  if (SAFE_METHODS.has(method)) return 'runs:read';
  if (/\/runs\/:[^/]+\/(cancel|abort)$/.test(url)) return 'runs:cancel';
  if (/\/(runs|trigger|plan|trigger-tokens(\/:[^/]+)?)$/.test(url)) return 'runs:trigger';
  if (/\/projects\/:id\/(tests|suites|data-sets|crawl|crawls|baselines)(\/|$)/.test(url)) {
    return 'tests:write';
  }
  if (/\/visual\/accept$/.test(url)) return 'tests:write';
  if (/\/projects\/:id\/scan/.test(url)) return 'scan';
  return 'admin';
}

/**
 * Routes outside a project (accounts, keys, members, new projects): an API key needs the route's
 * declared scope, else runs:read to read and admin to change anything. Project, trigger and scan
 * routes check their own scope where they resolve what they act on.
 */
function checkKeyScope(req: FastifyRequest, url: string, config: RouteAuthConfig): void {
  const p = req.principal;
  if (p?.kind !== 'user' || p.via !== 'api_key') return;
  if (url.includes('/projects/:id') || config.auth === 'trigger' || config.auth === 'scan') return;
  const need: Scope = config.scope ?? (SAFE_METHODS.has(req.method) ? 'runs:read' : 'admin');
  if (!hasScope(p, need)) {
    throw new AppError('forbidden', `This API key lacks the ${need} scope.`);
  }
}

/**
 * What the project scope checks for every route under `/projects/:id`: reads need viewer,
 * writes editor (routes may raise it with `config.role`), API keys the matching scope; trigger
 * routes also take the project's own trigger token.
 */
export function authorizeProjectRoute(req: FastifyRequest, project: Project): void {
  const config: RouteAuthConfig = req.routeOptions.config ?? {};
  const url = req.routeOptions.url ?? '';
  const role: Role = config.role ?? (SAFE_METHODS.has(req.method) ? 'viewer' : 'editor');
  const scope = config.scope ?? defaultScope(req.method, url);
  if (config.auth === 'public') return;
  if (config.auth === 'trigger') requireTriggerAccess(req, project, role, scope);
  else if (config.auth === 'scan') requireScanAccess(req, project, role);
  else requireProjectAccess(req, project, role, scope);
}
