import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LoginLimiter } from '../../auth/login-limiter.ts';
import { AppError } from '../../domain/errors.ts';
import { resendVerification, verifyEmail } from '../../engine/email-verification.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';

const tags = ['auth'];
const RESENT =
  'If this address has an account waiting for confirmation, a new link is on its way. It works once, for 24 hours.';

/** Confirm an e-mail address with the mailed token, and ask for a new link. */
export const emailVerificationRoutes: FastifyPluginAsyncZod<RouteOptions> = async (
  app,
  { deps },
) => {
  const { store, config } = deps;
  const limitsOn = config.rateLimit !== 'off';
  // Resends are mail sent on a stranger's behalf: a few per IP, fewer per address (mail bombing).
  const perIp = new LoginLimiter({ max: 5 });
  const perAddress = new LoginLimiter({ max: 3, windowMs: 60 * 60_000 });
  const verifies = new LoginLimiter({ max: 10 });

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
    '/auth/verify-email',
    {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags,
        summary: 'Confirm an e-mail address with the mailed single-use token',
        body: z.strictObject({ token: z.string().min(1).max(200) }),
        response: { 200: z.object({ message: z.string() }), ...errorResponses(400, 429) },
      },
    },
    async (req, reply) => {
      limit(verifies, req.ip, reply);
      await verifyEmail(store, req.body.token);
      return { message: 'E-mail address confirmed; you can sign in now.' };
    },
  );

  app.post(
    '/auth/resend-verification',
    {
      config: { auth: 'public', rateLimit: 'auth' },
      schema: {
        tags,
        summary:
          'Mail a new confirmation link to an unconfirmed account (same answer whether it exists)',
        body: z.strictObject({ email: z.string().trim().min(1).max(254) }),
        response: { 200: z.object({ message: z.string() }), ...errorResponses(400, 429, 503) },
      },
    },
    async (req, reply) => {
      limit(perIp, req.ip, reply);
      limit(perAddress, req.body.email.toLowerCase(), reply);
      await resendVerification(store, config, req.body.email, (error) =>
        req.log.warn({ error }, 'verification mail failed'),
      );
      return { message: RESENT };
    },
  );
};
