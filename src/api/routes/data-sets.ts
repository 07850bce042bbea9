import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  dataColumnPattern,
  dataSetNamePattern,
  MAX_DATA_ROWS,
  parseCsv,
  type DataRow,
  type DataSet,
} from '../../domain/data-set.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import type { RouteOptions } from '../app.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const dataSetName = z
  .string()
  .regex(dataSetNamePattern, 'letters, digits, _ . - (at most 63)')
  .describe('Data set name, e.g. users');

const MAX_COLUMNS = 100;
const rowSchema = z
  .record(
    z.string().regex(dataColumnPattern, 'column names are letters, digits and _'),
    z.string().max(10_000),
  )
  .refine((r) => Object.keys(r).length <= MAX_COLUMNS, {
    message: `at most ${MAX_COLUMNS} columns`,
  });
const rowsSchema = z
  .array(rowSchema)
  .max(MAX_DATA_ROWS, `at most ${MAX_DATA_ROWS} rows`)
  .describe('Rows of variables; an optional `name` column labels the row in results');

const putBody = z.union([
  z.strictObject({ rows: rowsSchema }),
  z.string().describe('CSV with a header line naming the columns (Content-Type: text/csv)'),
]);

const timestamp = z.string().describe('ISO-8601 time');
const summaryDto = z.object({
  name: z.string(),
  rowCount: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
const dataSetDto = summaryDto.extend({ rows: z.array(z.record(z.string(), z.string())) });
type DataSetDto = z.output<typeof dataSetDto>;

const toDto = (d: DataSet): DataSetDto => ({
  name: d.name,
  rowCount: d.rows.length,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  rows: d.rows,
});

/** Rows of a PUT body: JSON as validated by the schema, CSV parsed and checked by the same rules. */
function rowsOf(body: z.output<typeof putBody>): DataRow[] {
  if (typeof body !== 'string') return body.rows;
  const parsed = rowsSchema.safeParse(parseCsv(body));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new AppError('validation_failed', `invalid CSV: ${where}${issue?.message ?? ''}`);
  }
  return parsed.data;
}

const itemParams = z.object({ id: projectIdParam, name: dataSetName });

/** Data sets of a project: named rows of variables; a test with `data: <name>` runs per row. */
export const dataSetRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store } = deps;
  // CSV bodies arrive as text; only these routes accept them (the plugin scope keeps it here).
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => {
    done(null, typeof body === 'string' ? body : body.toString('utf8'));
  });

  app.get(
    '/data-sets',
    {
      schema: {
        tags: ['data-sets'],
        summary: "List a project's data sets",
        params: z.object({ id: projectIdParam }),
        response: { 200: z.object({ items: z.array(summaryDto) }), ...errorResponses(404) },
      },
    },
    async (req) => ({
      items: (await store.dataSets.list(projectOf(req).id)).map((d) => ({
        name: d.name,
        rowCount: d.rowCount,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
      })),
    }),
  );

  app.get(
    '/data-sets/:name',
    {
      schema: {
        tags: ['data-sets'],
        summary: 'Get a data set with its rows',
        params: itemParams,
        response: { 200: dataSetDto, ...errorResponses(404) },
      },
    },
    async (req) => {
      const set = await store.dataSets.get(projectOf(req).id, req.params.name);
      if (!set) throw notFound(`data set "${req.params.name}"`);
      return toDto(set);
    },
  );

  app.put(
    '/data-sets/:name',
    {
      schema: {
        tags: ['data-sets'],
        summary: 'Create or replace a data set (JSON { rows } or text/csv)',
        params: itemParams,
        body: putBody,
        response: { 200: dataSetDto, 201: dataSetDto, ...errorResponses(400, 404, 415) },
      },
    },
    async (req, reply) => {
      const projectId = projectOf(req).id;
      // A JSON string is not CSV: `"a,b"` sent as application/json once stored an empty set.
      if (
        typeof req.body === 'string' &&
        !/^text\/csv\b/i.test(req.headers['content-type'] ?? '')
      ) {
        throw new AppError(
          'validation_failed',
          'a JSON body must be { "rows": [...] }; send CSV as Content-Type: text/csv',
        );
      }
      const rows = rowsOf(req.body);
      const existed = (await store.dataSets.get(projectId, req.params.name)) !== undefined;
      const set = await store.dataSets.upsert(projectId, req.params.name, rows);
      return reply.code(existed ? 200 : 201).send(toDto(set));
    },
  );

  app.delete(
    '/data-sets/:name',
    {
      schema: {
        tags: ['data-sets'],
        summary: 'Delete a data set',
        params: itemParams,
        response: { 204: z.undefined(), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      if (!(await store.dataSets.delete(projectOf(req).id, req.params.name))) {
        throw notFound(`data set "${req.params.name}"`);
      }
      return reply.code(204).send();
    },
  );
};
