import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../domain/errors.ts';
import type { CrawlEvent } from '../../crawl/crawl-jobs.ts';
import { crawlStatuses, type CrawlRecord } from '../../store/crawls.ts';
import type { RouteOptions } from '../app.ts';
import { API_PREFIX } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['crawls'];

const crawlBody = z
  .object({
    startUrl: z.url().max(2000).optional().describe("Default: the project's baseUrl"),
    maxPages: z.number().int().min(1).max(2000).optional().describe('Default 50'),
    maxDepth: z.number().int().min(0).max(50).optional().describe('Default 3'),
    concurrency: z.number().int().min(1).max(8).optional().describe('Default 2'),
    respectRobots: z.boolean().optional().describe('Default true'),
    sameOrigin: z.boolean().optional().describe('Default true'),
    useSitemap: z.boolean().optional().describe('Default true'),
    generate: z.boolean().optional().describe('Create draft tests when done (default true)'),
    signInTestId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        "An approved or draft test of this project that signs in; it runs first (with the 'default' environment) and the crawl uses its session. A failing sign-in fails the crawl",
      ),
  })
  .strict()
  .nullish();

const crawlDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    status: z.enum(crawlStatuses),
    options: z.record(z.string(), z.unknown()),
    pages: z.number().int(),
    generated: z.number().int().describe('Draft tests created from this crawl'),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Crawl' });

const pageSummary = z.object({
  path: z.string(),
  url: z.string(),
  status: z.number().int(),
  title: z.string(),
  depth: z.number().int(),
  forms: z.number().int(),
  apiCalls: z.number().int(),
  consoleErrors: z.number().int(),
});

const brokenLink = z.object({ from: z.string(), url: z.string(), status: z.number().int() });

const params = z.object({ id: projectIdParam, crawlId: z.string().min(1).max(100) });

const toDto = (c: CrawlRecord): z.output<typeof crawlDto> => ({
  id: c.id,
  projectId: c.projectId,
  status: c.status,
  options: c.options,
  pages: c.pages,
  generated: c.generated,
  error: c.error,
  createdAt: c.createdAt,
  startedAt: c.startedAt,
  finishedAt: c.finishedAt,
});

interface StoredPage {
  url: string;
  path: string;
  status: number;
  title: string;
  depth: number;
  forms?: unknown[];
  apiCalls?: unknown[];
  consoleErrors?: unknown[];
}

/** The stored site map, summarised (the full map can be large; `?full=1` returns it whole). */
function summarise(siteMap: unknown): {
  pages: z.output<typeof pageSummary>[];
  brokenLinks: z.output<typeof brokenLink>[];
} {
  const map = (siteMap ?? {}) as {
    pages?: StoredPage[];
    brokenLinks?: z.output<typeof brokenLink>[];
  };
  return {
    pages: (map.pages ?? []).map((p) => ({
      path: p.path,
      url: p.url,
      status: p.status,
      title: p.title,
      depth: p.depth,
      forms: p.forms?.length ?? 0,
      apiCalls: p.apiCalls?.length ?? 0,
      consoleErrors: p.consoleErrors?.length ?? 0,
    })),
    brokenLinks: map.brokenLinks ?? [],
  };
}

/**
 * Site discovery: start a crawl (202, runs in the server process), read its status and pages,
 * follow it live over SSE, abort it. Editors start and abort; viewers read.
 */
export const crawlRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, streams }) => {
  const jobs = (): NonNullable<typeof deps.crawls> => {
    if (!deps.crawls) throw new AppError('unavailable', 'crawling is not enabled on this server');
    return deps.crawls;
  };

  app.post(
    '/crawl',
    {
      config: { rateLimit: 'expensive' },
      schema: {
        tags,
        summary: 'Crawl the site and generate draft tests',
        params: z.object({ id: projectIdParam }),
        body: crawlBody,
        response: {
          202: z.object({
            crawlId: z.string(),
            status: z.enum(crawlStatuses),
            eventsUrl: z.string(),
          }),
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const p = req.principal;
      const actor = p?.kind === 'user' ? p.email : 'crawl';
      const record = await jobs().start({ project, request: req.body ?? {}, actor });
      const eventsUrl = `${API_PREFIX}/projects/${project.id}/crawls/${record.id}/events`;
      return reply.code(202).send({ crawlId: record.id, status: record.status, eventsUrl });
    },
  );

  app.get(
    '/crawls',
    {
      schema: {
        tags,
        summary: 'Recent crawls of the project, newest first',
        params: z.object({ id: projectIdParam }),
        response: { 200: z.object({ items: z.array(crawlDto) }), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const items = await deps.store.crawls.list(projectOf(req).id, 50);
      return { items: items.map(toDto) };
    },
  );

  app.get(
    '/crawls/:crawlId',
    {
      schema: {
        tags,
        summary: 'A crawl: status and the pages it found',
        params,
        querystring: z.object({
          full: z.enum(['0', '1']).optional().describe('1: the whole site map'),
        }),
        response: {
          200: crawlDto.extend({
            pageList: z.array(pageSummary),
            brokenLinks: z.array(brokenLink),
            siteMap: z.unknown().optional(),
          }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (req) => {
      const project = projectOf(req);
      const crawl = await deps.store.crawls.get(project.id, req.params.crawlId);
      if (!crawl) throw notFound('crawl');
      const siteMap = await deps.store.crawls.siteMap(project.id, crawl.id);
      const { pages, brokenLinks } = summarise(siteMap);
      return {
        ...toDto(crawl),
        pageList: pages,
        brokenLinks,
        ...(req.query.full === '1' ? { siteMap } : {}),
      };
    },
  );

  app.get(
    '/crawls/:crawlId/events',
    {
      schema: {
        tags,
        summary: 'Live crawl events (SSE): progress, page, done',
        params,
        response: errorResponses(401, 403, 404),
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const crawl = await deps.store.crawls.get(project.id, req.params.crawlId);
      if (!crawl) throw notFound('crawl');
      const stream = streams.open(reply);
      const send = (e: CrawlEvent): void => {
        stream.send(e.type, { crawlId: crawl.id, ...e.data });
        if (e.type === 'done') stream.close();
      };
      const unsubscribe = deps.crawls?.subscribe(crawl.id, send) ?? null;
      if (unsubscribe) {
        stream.onClose(unsubscribe);
        return;
      }
      // Not running here: finished already (or ran in a process that is gone): say how it ended.
      const latest = (await deps.store.crawls.get(project.id, crawl.id)) ?? crawl;
      send({
        type: 'done',
        data: {
          status: latest.status,
          pages: latest.pages,
          generated: latest.generated,
          error: latest.error,
        },
      });
    },
  );

  app.post(
    '/crawls/:crawlId/abort',
    {
      schema: {
        tags,
        summary: 'Stop a running crawl; the pages found so far are kept',
        params,
        response: {
          202: z.object({ crawlId: z.string(), aborted: z.boolean() }),
          ...errorResponses(401, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const crawl = await deps.store.crawls.get(project.id, req.params.crawlId);
      if (!crawl) throw notFound('crawl');
      if (!jobs().abort(crawl.id)) {
        throw new AppError('conflict', `crawl is not running (status ${crawl.status})`);
      }
      return reply.code(202).send({ crawlId: crawl.id, aborted: true });
    },
  );
};
