import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addMember } from '../../auth/accounts.ts';
import { roles } from '../../domain/principal.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';
import { newPasswordSchema } from './auth.ts';

const memberDto = z
  .object({
    userId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(roles),
  })
  .meta({ id: 'Member' });

const tags = ['workspace'];

/** Members of the caller's workspace: list (any member), add or change a role (admin). */
export const workspaceRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '/workspace/members',
    {
      schema: {
        tags,
        summary: "Members of the caller's workspace",
        response: { 200: z.object({ items: z.array(memberDto) }), ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'viewer', 'runs:read');
      const items = await store.accounts.members(p.workspaceId);
      return {
        items: items.map(({ userId, email, name, role }) => ({ userId, email, name, role })),
      };
    },
  );

  app.post(
    '/workspace/members',
    {
      schema: {
        tags,
        summary:
          'Add a member (an existing account is attached; a new e-mail needs a password) or change their role',
        body: z.strictObject({
          email: z.email().max(254),
          role: z.enum(roles),
          password: newPasswordSchema.optional(),
          name: z.string().trim().min(1).max(200).optional(),
        }),
        response: {
          200: memberDto,
          201: memberDto,
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (req, reply) => {
      const p = requireUser(req, 'admin', 'admin');
      const { user, created } = await addMember(store, p.workspaceId, req.body);
      return reply
        .code(created ? 201 : 200)
        .send({ userId: user.id, email: user.email, name: user.name, role: req.body.role });
    },
  );
};
