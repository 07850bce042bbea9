import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptBaseline, deleteBaseline } from '../../engine/visual-baselines.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { baselineDto, toBaselineDto } from '../visual-dto.ts';

const tags = ['visual'];
const id = z.string().min(1).max(200);

/** Visual regression baselines of a project: list, accept a run's image, delete. */
export const visualRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, engine } = deps;

  app.post(
    '/runs/:runId/visual/accept',
    {
      schema: {
        tags,
        summary: "Make a run's screenshot the baseline of its test (editor+)",
        params: z.object({ id: projectIdParam, runId: id }),
        body: z.strictObject({ testId: id, name: z.string().min(1).max(500) }),
        response: { 200: baselineDto, ...errorResponses(400, 404, 409) },
      },
    },
    async (req) => {
      const p = req.principal;
      // Only users reach here (the project scope refuses trigger tokens on this route).
      const who = p?.kind === 'user' ? p.email : 'unknown';
      const b = await acceptBaseline(
        store,
        engine.artifactStore,
        projectOf(req).id,
        req.params.runId,
        req.body,
        who,
      );
      return toBaselineDto(b);
    },
  );

  app.get(
    '/baselines',
    {
      schema: {
        tags,
        summary: 'Visual baselines of the project (optionally of one test)',
        params: z.object({ id: projectIdParam }),
        querystring: z.object({ testId: id.optional() }),
        response: { 200: z.object({ items: z.array(baselineDto) }), ...errorResponses(404) },
      },
    },
    async (req) => {
      const items = await store.visualBaselines.list(projectOf(req).id, req.query.testId);
      return { items: items.map(toBaselineDto) };
    },
  );

  app.delete(
    '/baselines/:baselineId',
    {
      schema: {
        tags,
        summary: 'Delete a baseline; the next run of its test records a new one',
        params: z.object({ id: projectIdParam, baselineId: id }),
        response: { 204: z.undefined(), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      await deleteBaseline(store, engine.artifactStore, projectOf(req).id, req.params.baselineId);
      return reply.code(204).send();
    },
  );
};
