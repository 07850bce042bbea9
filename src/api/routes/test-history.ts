import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import { testStatuses } from '../../domain/test-definition.ts';
import { diffTestHistory } from '../../engine/review.ts';
import { testVersionActions, type TestVersion } from '../../store/test-history.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['tests'];
const itemParams = z.object({ id: projectIdParam, testId: z.string().min(1).max(200) });
const versionNumber = z.coerce.number().int().min(1);
const versionParams = itemParams.extend({ version: versionNumber });
const diffQuery = z.object({
  from: versionNumber.optional().describe('Older version (default: the one before `to`)'),
  to: versionNumber.optional().describe('Newer version (default: the latest)'),
});

const timestamp = z.string().describe('ISO 8601 timestamp');
const stepObject = z.record(z.string(), z.unknown());

const versionSummaryDto = z
  .object({
    version: z.number().int(),
    action: z.enum(testVersionActions),
    status: z.enum(testStatuses).describe('Review status after this change'),
    actor: z.string().describe("User email, or the change's source (crawl, import, demo…)"),
    at: timestamp,
    note: z.string().nullable().describe('Why: a stale reason, a withdrawn approval…'),
  })
  .meta({ id: 'TestVersionSummary' });

const versionDto = versionSummaryDto
  .extend({
    document: z.record(z.string(), z.unknown()).describe('The test document at this version'),
  })
  .meta({ id: 'TestVersion' });

const diffDto = z
  .object({
    from: z.number().int().nullable().describe('null: diffed against nothing (first version)'),
    to: z.number().int(),
    changed: z.array(z.string()).describe('Changed fields, `steps` and `status` included'),
    fields: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
    steps: z.array(
      z.object({
        op: z.enum(['added', 'removed', 'changed']),
        index: z.number().int().describe('0-based; in the older version for a removed step'),
        fromIndex: z.number().int().optional().describe('Changed steps: index in the older one'),
        step: stepObject.optional(),
        from: stepObject.optional(),
        to: stepObject.optional(),
        keys: z.array(z.string()).optional().describe('Changed steps: keys that differ'),
      }),
    ),
    unified: z.string().describe('Unified diff of the YAML form of both versions'),
  })
  .meta({ id: 'TestDiff' });

const summaryOf = (v: TestVersion): z.input<typeof versionSummaryDto> => ({
  version: v.version,
  action: v.action,
  status: v.status,
  actor: v.actor,
  at: v.at,
  note: v.note,
});

/** A test's history (who changed what, when) and diffs between its versions; read-only. */
export const testHistoryRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;

  app.get(
    '/tests/:testId/history',
    {
      schema: {
        tags,
        summary: 'Versions of a test, newest first: who changed it, when, and its status',
        params: itemParams,
        response: {
          200: z.object({ items: z.array(versionSummaryDto) }),
          ...errorResponses(404),
        },
      },
    },
    async (req) => {
      const versions = await store.testHistory.list(projectOf(req).id, req.params.testId);
      if (versions.length === 0) throw notFound('test');
      return { items: versions.map(summaryOf) };
    },
  );

  app.get(
    '/tests/:testId/history/:version',
    {
      schema: {
        tags,
        summary: 'One version of a test, with its document',
        params: versionParams,
        response: { 200: versionDto, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const { testId, version } = req.params;
      const v = await store.testHistory.get(projectOf(req).id, testId, version);
      if (!v) throw new AppError('not_found', `version ${version} of this test not found`);
      return { ...summaryOf(v), document: v.document as unknown as Record<string, unknown> };
    },
  );

  app.get(
    '/tests/:testId/diff',
    {
      schema: {
        tags,
        summary: 'What changed between two versions of a test (default: previous vs current)',
        params: itemParams,
        querystring: diffQuery,
        response: { 200: diffDto, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const diff = await diffTestHistory(store, projectOf(req).id, req.params.testId, req.query);
      return diff as unknown as z.input<typeof diffDto>;
    },
  );
};
