import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { notFound } from '../domain/errors.ts';
import type { Project } from '../domain/project.ts';
import type { Store } from '../store/connect.ts';
import { authorizeProjectRoute } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The project named by `:id`, set by the project scope before validation. */
    project: Project | null;
  }
}

/** Path parameter of every project route: an id or a slug. */
export const projectIdParam = z.string().min(1).describe('Project id or slug');

/**
 * Every route under `/projects/:id` is registered inside this scope, so resolving the project
 * (404 when it does not exist, was deleted or belongs to another workspace) and the caller's
 * role and scope check (src/api/auth.ts) happen in exactly one place.
 */
export function useProjectScope(scope: FastifyInstance, store: Store): void {
  scope.decorateRequest('project', null);
  // preValidation: after the body is parsed (413/415 come first) but before it is validated, so
  // an unknown project answers 404 whatever the body.
  scope.addHook('preValidation', async (req) => {
    const id = (req.params as { id?: unknown }).id;
    const project = typeof id === 'string' ? await store.projects.get(id) : undefined;
    if (!project) throw notFound('project');
    authorizeProjectRoute(req, project);
    req.project = project;
  });
}

/** The project resolved by the scope; only callable from a route inside it. */
export function projectOf(req: FastifyRequest): Project {
  if (!req.project) throw new Error('projectOf() called outside the project scope');
  return req.project;
}
