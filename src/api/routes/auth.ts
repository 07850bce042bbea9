import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  changePassword,
  checkLogin,
  INVALID_LOGIN,
  register,
  signInWorkspace,
} from '../../auth/accounts.ts';
import { LoginLimiter } from '../../auth/login-limiter.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, warmUpPasswords } from '../../auth/passwords.ts';
import { AppError } from '../../domain/errors.ts';
import { roles, scopes } from '../../domain/principal.ts';
import type { User } from '../../store/accounts.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { clearSessionCookies } from '../cookies.ts';
import { errorResponses } from '../errors.ts';
import { isSecureRequest, startSession } from '../session-start.ts';
import { NOT_VERIFIED, sendVerification } from '../../engine/email-verification.ts';

const emailSchema = z.email().max(254);
export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH);

const userDto = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    createdAt: z.string(),
    emailVerified: z.boolean(),
  })
  .meta({ id: 'User' });

const sessionDto = z
  .object({
    user: userDto,
    workspaceId: z.string(),
    role: z.enum(roles),
    csrfToken: z.string().describe('Send it back in X-CSRF-Token on every mutating request'),
  })
  .meta({ id: 'Session' });

const pendingDto = z
  .object({
    user: userDto,
    verificationRequired: z.literal(true),
    message: z.string(),
  })
  .meta({ id: 'PendingVerification' });

const meDto = z
  .object({
    user: userDto,
    workspace: z.object({ id: z.string(), name: z.string() }),
    role: z.enum(roles),
    via: z.enum(['session', 'api_key']),
    scopes: z
      .array(z.enum(scopes))
      .nullable()
      .describe('Scopes of the API key; null for a session'),
  })
  .meta({ id: 'Me' });

const toUserDto = (u: User): z.output<typeof userDto> => ({
  id: u.id,
  email: u.email,
  name: u.name,
  createdAt: u.createdAt,
  emailVerified: u.emailVerifiedAt !== null,
});

const tags = ['auth'];

/** Register, sign in and out, who am I, change password. */
export const authRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config } = deps;
  const limitsOn = config.rateLimit !== 'off';
  warmUpPasswords();
  // Failed sign-ins per IP + e-mail (guessing one password) and per IP (spraying many e-mails).
  const perAccount = new LoginLimiter({ max: 10 });
  const perIp = new LoginLimiter({ max: 100 });
  const registrations = new LoginLimiter({ max: 20 });

  const secure = (req: FastifyRequest): boolean => isSecureRequest(req, config);
  const openSession = (req: FastifyRequest, reply: FastifyReply, user: User, workspaceId: string) =>
    startSession(store, config, req, reply, user.id, workspaceId);

  function refuse(reply: FastifyReply, seconds: number): never {
    reply.header('retry-after', String(seconds));
    throw new AppError('rate_limited', 'Too many sign-in attempts; try again later.', {
      retryAfterSeconds: seconds,
    });
  }

  app.post(
    '/auth/register',
    {
      config: { rateLimit: 'auth' },
      schema: {
        tags,
        summary:
          'Create an account. The first user becomes admin of the default workspace; later users get a workspace of their own (only when GREENLIGHT_OPEN_REGISTRATION=1)',
        body: z.strictObject({
          email: emailSchema,
          password: newPasswordSchema,
          name: z.string().trim().min(1).max(200).optional(),
        }),
        response: {
          201: z.union([sessionDto, pendingDto]),
          ...errorResponses(400, 403, 409, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const ipKey = `reg|${req.ip}`;
      const wait = limitsOn ? registrations.retryAfter(ipKey) : 0;
      if (wait > 0) refuse(reply, wait);
      registrations.fail(ipKey);
      const { user, workspace, role } = await register(store, req.body, {
        openRegistration: config.openRegistration,
      });
      if (config.requireEmailVerification) {
        // No session until the address is proved: the link comes by mail.
        sendVerification(store, config, user, (error) =>
          req.log.warn({ error }, 'verification mail failed'),
        );
        return reply.code(201).send({
          user: toUserDto(user),
          verificationRequired: true as const,
          message: `We sent a confirmation link to ${user.email}; open it, then sign in.`,
        });
      }
      const csrfToken = await openSession(req, reply, user, workspace.id);
      return reply
        .code(201)
        .send({ user: toUserDto(user), workspaceId: workspace.id, role, csrfToken });
    },
  );

  app.post(
    '/auth/login',
    {
      config: { rateLimit: 'auth' },
      schema: {
        tags,
        summary: 'Sign in: sets the access_token (HttpOnly) and _csrf cookies',
        body: z.strictObject({
          email: z.string().trim().min(1).max(254),
          password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
          workspaceId: z.string().optional().describe('Workspace to act in (default: the oldest)'),
        }),
        response: { 200: sessionDto, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const accountKey = `${req.ip}|${req.body.email.toLowerCase()}`;
      const ipKey = req.ip;
      if (limitsOn) {
        const wait = Math.max(perAccount.retryAfter(accountKey), perIp.retryAfter(ipKey));
        if (wait > 0) refuse(reply, wait);
      }
      const user = await checkLogin(store, req.body.email, req.body.password);
      if (!user) {
        perAccount.fail(accountKey);
        perIp.fail(ipKey);
        throw new AppError('unauthorized', INVALID_LOGIN);
      }
      perAccount.reset(accountKey);
      if (config.requireEmailVerification && !user.emailVerifiedAt) {
        // Only after the password matched: a wrong guess learns nothing about the account.
        throw new AppError('email_not_verified', NOT_VERIFIED, { email: user.email });
      }
      const { workspaceId, role } = await signInWorkspace(store, user.id, req.body.workspaceId);
      const csrfToken = await openSession(req, reply, user, workspaceId);
      return { user: toUserDto(user), workspaceId, role, csrfToken };
    },
  );

  app.post(
    '/auth/logout',
    {
      // Ends only the caller's own session (a key has none): nothing to guard with a scope.
      config: { scope: 'runs:read' },
      schema: {
        tags,
        summary: 'Sign out: ends the session and clears its cookies',
        response: { 204: z.undefined(), ...errorResponses(401, 403) },
      },
    },
    async (req, reply) => {
      requireUser(req, 'viewer');
      if (req.sessionId) await store.sessions.delete(req.sessionId);
      clearSessionCookies(reply, secure(req));
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags,
        summary: 'The calling user, their workspace and role',
        response: { 200: meDto, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'viewer');
      const [user, workspace] = await Promise.all([
        store.accounts.getUser(p.userId),
        store.accounts.getWorkspace(p.workspaceId),
      ]);
      if (!user || !workspace) throw new AppError('unauthorized', 'Account no longer exists.');
      return {
        user: toUserDto(user),
        workspace: { id: workspace.id, name: workspace.name },
        role: p.role,
        via: p.via,
        scopes: p.scopes,
      };
    },
  );

  app.post(
    '/auth/password',
    {
      config: { rateLimit: 'auth' },
      schema: {
        tags,
        summary: "Change the caller's password; ends their other sessions",
        body: z.strictObject({
          currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
          newPassword: newPasswordSchema,
        }),
        response: { 204: z.undefined(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const p = requireUser(req, 'viewer');
      if (p.via === 'api_key' && !p.scopes?.includes('admin')) {
        throw new AppError(
          'forbidden',
          'Changing a password needs a session or an admin-scope key.',
        );
      }
      await changePassword(
        store,
        p.userId,
        req.body.currentPassword,
        req.body.newPassword,
        req.sessionId ?? undefined,
      );
      return reply.code(204).send();
    },
  );
};
