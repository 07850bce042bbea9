import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { testStatuses, type TestDocument } from '../../domain/test-definition.ts';
import { editTest, reviewActions, reviewTest, reviewTests } from '../../engine/review.ts';
import { flakyScores } from '../../engine/selection.ts';
import { isUniqueViolation } from '../../store/sql-helpers.ts';
import type { RouteOptions } from '../app.ts';
import { pageOf, pageQuery, testDto, toTestDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';
import { testCreateBody, testPatchBody, testValidatorCompiler } from '../test-body.ts';

const tags = ['tests'];
const listParams = z.object({ id: projectIdParam });
const itemParams = z.object({ id: projectIdParam, testId: z.string().min(1).max(200) });

const listQuery = z.object({
  status: z.enum(testStatuses).optional(),
  tag: z.string().min(1).optional(),
  suite: z.string().min(1).optional(),
  stale: z.stringbool().optional().describe('true: only tests a crawl flagged as stale'),
  ...pageQuery,
});

const patchQuery = z.object({
  keepApproved: z
    .stringbool()
    .optional()
    .describe('Admins only: keep an approved test approved although its steps change'),
});

/** Who is acting, for the test's history and `reviewedBy`: the user's email. */
function actorOf(req: FastifyRequest): string {
  return req.principal?.kind === 'user' ? req.principal.email : 'api';
}

// `keepApproved` may also come in the PATCH body (it is a flag, not part of the test document):
// taken out before the document parser sees the body.
const keepApprovedInBody = new WeakMap<FastifyRequest, boolean>();
async function takeKeepApproved(req: FastifyRequest): Promise<void> {
  const body = req.body;
  if (typeof body !== 'object' || body === null || !('keepApproved' in body)) return;
  const { keepApproved, ...rest } = body as Record<string, unknown>;
  if (typeof keepApproved !== 'boolean') {
    throw new AppError('validation_failed', 'keepApproved must be true or false', [
      { path: 'keepApproved', message: 'expected a boolean' },
    ]);
  }
  keepApprovedInBody.set(req, keepApproved);
  req.body = rest;
}

const bulkBody = z.strictObject({
  ids: z.array(z.string().min(1).max(200)).min(1).max(1000),
  action: z.enum(reviewActions),
});

/** Keys are unique per project; the store's unique index is the arbiter, reported as a 409. */
async function keyConflict<T>(key: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (key !== undefined && isUniqueViolation(e)) {
      throw new AppError('conflict', `a test with key "${key}" already exists`, { key });
    }
    throw e;
  }
}

const countsDto = z.object({
  draft: z.number().int(),
  approved: z.number().int(),
  rejected: z.number().int(),
  total: z.number().int(),
});

/** Tests of a project: create, list, edit, delete, and review (approve / reject / restore). */
export const testRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.post(
    '/tests',
    {
      schema: {
        tags,
        summary: 'Create a test from a test document (status draft unless given)',
        params: listParams,
        body: testCreateBody,
        response: { 201: testDto, ...errorResponses(400, 404, 409) },
      },
      validatorCompiler: testValidatorCompiler,
    },
    async (req, reply) => {
      const doc = req.body as TestDocument;
      const test = await keyConflict(doc.key, () =>
        store.tests.create(projectOf(req).id, doc, {
          status: doc.status ?? 'draft',
          source: 'api',
          actor: actorOf(req),
        }),
      );
      return reply.code(201).send(toTestDto(test));
    },
  );

  app.get(
    '/tests',
    {
      schema: {
        tags,
        summary: 'List tests, filtered by status, tag, suite or stale flag',
        params: listParams,
        querystring: listQuery,
        response: { 200: pageOf(testDto), ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const q = req.query;
      const project = projectOf(req);
      const page = await store.tests.list(project.id, q);
      const scores = await flakyScores(
        store,
        project.id,
        page.items.map((t) => t.id),
      );
      return {
        items: page.items.map((t) => ({ ...toTestDto(t), flakyScore: scores.get(t.id)?.score })),
        total: page.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  app.get(
    '/tests/counts',
    {
      schema: {
        tags,
        summary: 'Number of tests by review status',
        params: listParams,
        response: { 200: countsDto, ...errorResponses(404) },
      },
    },
    async (req) => store.tests.counts(projectOf(req).id),
  );

  app.post(
    '/tests/bulk-review',
    {
      schema: {
        tags,
        summary: 'Approve, reject or restore many tests at once (all or nothing)',
        params: listParams,
        body: bulkBody,
        response: {
          200: z.object({ updated: z.number().int().describe('Tests whose status changed') }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (req) => ({
      updated: await reviewTests(
        store,
        projectOf(req).id,
        req.body.ids,
        req.body.action,
        actorOf(req),
      ),
    }),
  );

  app.get(
    '/tests/:testId',
    {
      schema: {
        tags,
        summary: 'Get a test',
        params: itemParams,
        response: { 200: testDto, ...errorResponses(404) },
      },
    },
    async (req) => {
      const test = await store.tests.get(projectOf(req).id, req.params.testId);
      if (!test) throw notFound('test');
      const scores = await flakyScores(store, test.projectId, [test.id]);
      return { ...toTestDto(test), flakyScore: scores.get(test.id)?.score };
    },
  );

  app.patch(
    '/tests/:testId',
    {
      schema: {
        tags,
        summary: 'Change fields of a test (the others are kept)',
        description:
          'Changing the steps of an approved test sends it back to draft, unless an admin ' +
          'passes keepApproved (query or body).',
        params: itemParams,
        querystring: patchQuery,
        body: testPatchBody,
        response: { 200: testDto, ...errorResponses(400, 403, 404, 409) },
      },
      validatorCompiler: testValidatorCompiler,
      preValidation: takeKeepApproved,
    },
    async (req) => {
      const patch = req.body as Partial<TestDocument>;
      const principal = req.principal;
      const editor = {
        actor: actorOf(req),
        isAdmin: principal?.kind === 'user' && principal.role === 'admin',
      };
      const keepApproved = req.query.keepApproved ?? keepApprovedInBody.get(req) ?? false;
      return toTestDto(
        await keyConflict(patch.key, () =>
          editTest(store, projectOf(req).id, req.params.testId, patch, editor, { keepApproved }),
        ),
      );
    },
  );

  app.delete(
    '/tests/:testId',
    {
      schema: {
        tags,
        summary: 'Delete a test (soft delete: it goes to the recycle bin, GET /recycle-bin)',
        params: itemParams,
        response: { 204: z.undefined(), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const deleted = await store.tests.delete(projectOf(req).id, req.params.testId, {
        actor: actorOf(req),
      });
      if (!deleted) throw notFound('test');
      return reply.code(204).send();
    },
  );

  for (const action of reviewActions) {
    app.post(
      `/tests/:testId/${action}`,
      {
        schema: {
          tags,
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} a test`,
          params: itemParams,
          response: { 200: testDto, ...errorResponses(404) },
        },
      },
      async (req) =>
        toTestDto(
          await reviewTest(store, projectOf(req).id, req.params.testId, action, actorOf(req)),
        ),
    );
  }
};
