import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { readableRun } from '../trigger-http.ts';

const noteDto = z
  .object({
    id: z.string(),
    level: z.enum(['info', 'warn', 'error']),
    source: z.string().describe('What wrote it: github, gitlab, …'),
    message: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'RunNote' });

const params = z.object({ id: projectIdParam, runId: z.string().min(1).max(200) });

/**
 * `GET /projects/:id/runs/:runId/notes`: what happened beside the run — PR comments and commit
 * statuses posted or refused (bad token scope, unknown repository). Readable by the project's
 * trigger token too, so a pipeline can see why its PR got no comment.
 */
export const runNoteRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/runs/:runId/notes',
    {
      config: { auth: 'trigger' },
      schema: {
        tags: ['runs'],
        summary: 'Notes of a run: pull-request feedback posted or refused',
        params,
        response: {
          200: z.object({ items: z.array(noteDto) }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => {
      const project = projectOf(req);
      const { run } = await readableRun(req, deps, req.params.runId, project);
      const notes = await deps.store.runNotes.listByRun(project.id, run.id);
      return {
        items: notes.map((n) => ({
          id: n.id,
          level: n.level,
          source: n.source,
          message: n.message,
          createdAt: n.createdAt,
        })),
      };
    },
  );
};
