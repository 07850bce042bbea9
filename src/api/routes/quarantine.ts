import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { quarantineTest, releaseTest } from '../../engine/quarantine.ts';
import type { RouteOptions } from '../app.ts';
import { testDto, toTestDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['tests'];
const params = z.object({ id: projectIdParam, testId: z.string().min(1).max(200) });
const body = z.strictObject({
  reason: z.string().trim().min(1).max(500).describe('Why the test is quarantined'),
});

/** POST and DELETE /projects/:id/tests/:testId/quarantine (editor and up, by the scope's rule). */
export const quarantineRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.post(
    '/tests/:testId/quarantine',
    {
      schema: {
        tags,
        summary: 'Quarantine a test: it still runs and is reported, but never gates a run',
        params,
        body,
        response: { 200: testDto, ...errorResponses(400, 403, 404) },
      },
    },
    async (req) => {
      const p = req.principal;
      const by = p?.kind === 'user' ? p.email : 'api';
      const test = await quarantineTest(store, projectOf(req).id, req.params.testId, {
        reason: req.body.reason,
        by,
        at: new Date(),
      });
      return toTestDto(test);
    },
  );

  app.delete(
    '/tests/:testId/quarantine',
    {
      schema: {
        tags,
        summary: 'Release a test from quarantine',
        params,
        response: { 200: testDto, ...errorResponses(403, 404) },
      },
    },
    async (req) => toTestDto(await releaseTest(store, projectOf(req).id, req.params.testId)),
  );
};
