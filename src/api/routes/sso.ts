import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sameSecret } from '../../auth/credentials.ts';
import { SsoService } from '../../auth/sso.ts';
import { SsoError } from '../../auth/sso-errors.ts';
import { guardedFetch } from '../../integrations/guarded-fetch.ts';
import type { RouteOptions } from '../app.ts';
import { cookie, readCookies } from '../cookies.ts';
import { API_PREFIX } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { isSecureRequest, startSession } from '../session-start.ts';
import { defined } from '../../domain/defined.ts';

const tags = ['auth'];
/** Holds the started sign-in's state in the browser that started it (login CSRF). */
const STATE_COOKIE = 'gl_sso_state';
const providerParam = z.object({ provider: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/) });

const providersDto = z
  .object({
    providers: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        kind: z.enum(['oidc', 'github']),
        startUrl: z.string().describe('Open this in the browser to sign in through the provider'),
      }),
    ),
    emailVerificationRequired: z.boolean(),
    openRegistration: z.boolean(),
  })
  .meta({ id: 'SignInProviders' });

/**
 * Sign-in through OpenID Connect providers and GitHub: the list for the sign-in page, the start
 * (a redirect to the provider) and the callback (a session, then a redirect into the dashboard,
 * or back to the sign-in page with `?sso_error=<code>`).
 */
export const ssoRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config } = deps;
  const sso = new SsoService(
    store,
    config,
    guardedFetch(config, { purpose: 'sign-in provider URL' }),
  );
  const callbackPath = (id: string): string => `${API_PREFIX}/auth/oidc/${id}/callback`;

  /**
   * The callback URL registered at the provider. From GREENLIGHT_PUBLIC_URL when set; else from
   * the request, which is safe here: a provider only redirects to URLs registered with it.
   */
  const redirectUri = (req: FastifyRequest, id: string): string => {
    const base = config.publicUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.host}`;
    return `${base}${callbackPath(id)}`;
  };

  app.get(
    '/auth/providers',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Sign-in providers configured on this server, for the sign-in page',
        response: { 200: providersDto },
      },
    },
    async () => ({
      providers: sso.list().map((p) => ({
        ...p,
        startUrl: `${API_PREFIX}/auth/oidc/${p.id}/start`,
      })),
      emailVerificationRequired: config.requireEmailVerification,
      openRegistration: config.openRegistration,
    }),
  );

  app.get(
    '/auth/oidc/:provider/start',
    {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags,
        summary: 'Start signing in through a provider: redirects the browser to it',
        params: providerParam,
        querystring: z.object({
          next: z.string().max(2000).optional().describe('Dashboard path to open afterwards'),
        }),
        response: { 302: z.undefined(), ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const { provider } = req.params;
      const { url, state } = await sso.start(provider, {
        redirectUri: redirectUri(req, provider),
        ...defined({ next: req.query.next }),
      });
      reply.header(
        'set-cookie',
        cookie(STATE_COOKIE, state, {
          httpOnly: true,
          secure: isSecureRequest(req, config),
          maxAgeSeconds: 600,
          path: callbackPath(provider),
        }),
      );
      return reply.redirect(url, 302);
    },
  );

  app.get(
    '/auth/oidc/:provider/callback',
    {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags,
        summary:
          "The provider's redirect back: signs in and redirects into the dashboard (or to /sign-in?sso_error=<code>)",
        params: providerParam,
        response: { 302: z.undefined(), ...errorResponses(400, 404, 429) },
      },
    },
    async (req, reply) => {
      const { provider } = req.params;
      const secure = isSecureRequest(req, config);
      reply.header(
        'set-cookie',
        cookie(STATE_COOKIE, '', {
          httpOnly: true,
          secure,
          maxAgeSeconds: 0,
          path: callbackPath(provider),
        }),
      );
      const query = new URL(req.url, 'http://callback').searchParams;
      try {
        // The state must come back to the browser that started it: a callback link planted in
        // someone else's browser (signing them in as the attacker) carries no matching cookie.
        const pinned = readCookies(req.headers.cookie)[STATE_COOKIE] ?? '';
        if (!pinned || !sameSecret(pinned, query.get('state') ?? '')) {
          throw new SsoError('expired', 'this sign-in was not started in this browser');
        }
        const done = await sso.finish(provider, query);
        await startSession(store, config, req, reply, done.userId, done.workspaceId);
        req.log.info({ provider, userId: done.userId, created: done.created }, 'provider sign-in');
        return reply.redirect(done.returnTo, 302);
      } catch (e) {
        if (!(e instanceof SsoError)) throw e;
        req.log.warn({ provider, reason: e.code, error: e.message }, 'provider sign-in refused');
        return reply.redirect(`/sign-in?sso_error=${e.code}`, 302);
      }
    },
  );
};
