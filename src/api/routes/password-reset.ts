import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LoginLimiter } from '../../auth/login-limiter.ts';
import { hashPassword } from '../../auth/passwords.ts';
import { requestPasswordReset, resetPassword } from '../../engine/password-reset.ts';
import { AppError } from '../../domain/errors.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { newPasswordSchema } from './auth.ts';

const tags = ['auth'];
const SENT =
  'If an account uses this address, a reset link is on its way. It works once, for one hour.';

/** Sentri's forgot / reset password (seed 001), by e-mail through GREENLIGHT_SMTP_URL. */
export const passwordResetRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config } = deps;
  const limitsOn = config.rateLimit !== 'off';
  // Seed 001's auth tier: a handful per IP per 15 minutes (mail bombing, token guessing).
  const asks = new LoginLimiter({ max: 5 });
  const resets = new LoginLimiter({ max: 10 });

  const limit = (limiter: LoginLimiter, key: string, reply: FastifyReply): void => {
    if (!limitsOn) return;
    const wait = limiter.retryAfter(key);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError('rate_limited', 'Too many attempts; try again later.', {
        retryAfterSeconds: wait,
      });
    }
    limiter.fail(key);
  };

  app.post(
    '/auth/forgot-password',
    {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags,
        summary: 'Mail a single-use password reset link (same answer whether the account exists)',
        body: z.strictObject({ email: z.string().trim().min(1).max(254) }),
        response: { 200: z.object({ message: z.string() }), ...errorResponses(400, 429, 503) },
      },
    },
    async (req, reply) => {
      limit(asks, req.ip, reply);
      await requestPasswordReset(store, config, req.body.email, (error) =>
        req.log.warn({ error }, 'password reset mail failed'),
      );
      return { message: SENT };
    },
  );

  app.post(
    '/auth/reset-password',
    {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags,
        summary: 'Set a new password with the mailed token; signs out every session',
        body: z.strictObject({
          token: z.string().min(1).max(200),
          newPassword: newPasswordSchema,
        }),
        response: { 200: z.object({ message: z.string() }), ...errorResponses(400, 429) },
      },
    },
    async (req, reply) => {
      limit(resets, req.ip, reply);
      await resetPassword(store, req.body.token, await hashPassword(req.body.newPassword));
      return { message: 'Password changed; sign in with the new one.' };
    },
  );
};
