import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { generatedKinds, generateTests } from '../../crawl/generate.ts';
import { dedupeTests, type ExistingTest } from '../../crawl/generate-dedupe.ts';
import { existingTests, storeDrafts } from '../../crawl/generate-store.ts';
import { draftTestFromSentence, nameTests } from '../../crawl/llm/llm-generate.ts';
import { draftJourneys } from '../../crawl/llm/llm-journeys.ts';
import { llmProviderFor } from '../../crawl/llm/provider-settings.ts';
import type { SiteMap } from '../../crawl/site-map.ts';
import { AppError, notFound } from '../../domain/errors.ts';
import type { TestDocument } from '../../domain/test-definition.ts';
import type { Store } from '../../store/connect.ts';
import type { RouteOptions } from '../app.ts';
import { testDto, toTestDto } from '../dto.ts';
import { errorResponses } from '../errors.ts';
import { projectIdParam, projectOf } from '../project-scope.ts';

const tags = ['tests'];
const params = z.object({ id: projectIdParam });

const sentenceBody = z.strictObject({
  sentence: z
    .string()
    .trim()
    .min(3)
    .max(2000)
    .describe('What the test should prove, e.g. "a user can add a todo and mark it done"'),
  crawlId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Crawl whose pages the model sees (default: the latest finished crawl)'),
});

const fromCrawlBody = z.strictObject({
  crawlId: z.string().min(1).max(200),
  kinds: z.array(z.enum(generatedKinds)).min(1).optional().describe('Kinds of test (default all)'),
  submitSafeForms: z
    .boolean()
    .optional()
    .describe('Submit safe forms with sample data (default true)'),
  journeys: z
    .boolean()
    .optional()
    .describe('Also ask the configured LLM for multi-page journeys (400 when none is)'),
});

const NO_LLM_MESSAGE =
  'drafting a test from a sentence needs an LLM: configure one in Settings → AI provider ' +
  '(PUT /api/v1/settings/ai), or set GREENLIGHT_LLM_API_KEY (and optionally ' +
  'GREENLIGHT_LLM_BASE_URL, GREENLIGHT_LLM_MODEL) for an OpenAI-compatible API, or ' +
  'GREENLIGHT_LLM_PROVIDER=ollama for a local Ollama';

const NO_LLM_JOURNEYS_MESSAGE =
  '"journeys": true needs an LLM: configure one in Settings → AI provider ' +
  '(PUT /api/v1/settings/ai), or set GREENLIGHT_LLM_API_KEY (and optionally ' +
  'GREENLIGHT_LLM_BASE_URL, GREENLIGHT_LLM_MODEL) for an OpenAI-compatible API, or ' +
  'GREENLIGHT_LLM_PROVIDER=ollama for a local Ollama; or leave "journeys" out for heuristics only';

function asExisting(doc: TestDocument): ExistingTest {
  return { key: doc.key ?? null, name: doc.name, steps: doc.steps };
}

function actorOf(req: FastifyRequest): string {
  return req.principal?.kind === 'user' ? req.principal.email : 'api';
}

/** A finished crawl's site map, or a 404/409 saying why there is none. */
async function siteMapOf(store: Store, projectId: string, crawlId: string): Promise<SiteMap> {
  const crawl = await store.crawls.get(projectId, crawlId);
  if (!crawl) throw notFound('crawl');
  const map = await store.crawls.siteMap(projectId, crawlId);
  if (!isSiteMap(map)) {
    throw new AppError('conflict', `crawl ${crawlId} has no site map yet (status ${crawl.status})`);
  }
  return map;
}

/** The newest crawl with a site map, if any: context for the model, never required. */
async function latestSiteMap(store: Store, projectId: string): Promise<SiteMap | undefined> {
  for (const c of await store.crawls.list(projectId, 10)) {
    if (c.status !== 'done') continue;
    const map = await store.crawls.siteMap(projectId, c.id);
    if (isSiteMap(map)) return map;
  }
  return undefined;
}

/** The store holds what the crawler wrote; a shallow check guards against an old format. */
function isSiteMap(v: unknown): v is SiteMap {
  const m = v as Partial<SiteMap> | null | undefined;
  return typeof m?.origin === 'string' && Array.isArray(m.pages);
}

/** Test generation: a draft from a sentence (LLM), and drafts from a finished crawl (heuristics). */
export const generateRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config } = deps;

  app.post(
    '/tests/generate',
    {
      schema: {
        tags,
        summary: 'Draft a test from a sentence with the configured LLM (400 when none is)',
        params,
        body: sentenceBody,
        response: { 201: testDto, ...errorResponses(400, 401, 403, 404, 409, 422, 503) },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const provider = await llmProviderFor(store, config, project.workspaceId);
      if (!provider) throw new AppError('bad_request', NO_LLM_MESSAGE);
      const site = req.body.crawlId
        ? await siteMapOf(store, project.id, req.body.crawlId)
        : await latestSiteMap(store, project.id);
      const doc = await draftTestFromSentence(provider, req.body.sentence, site);
      const [test] = await storeDrafts(store, project.id, [doc], {
        source: 'llm',
        actor: actorOf(req),
      });
      if (!test) throw new Error('a keyless draft cannot collide'); // storeDrafts skips only key clashes
      return reply.code(201).send(toTestDto(test));
    },
  );

  app.post(
    '/tests/generate-from-crawl',
    {
      schema: {
        tags,
        summary: 'Create draft tests from a finished crawl, leaving out ones the project has',
        params,
        body: fromCrawlBody,
        response: {
          201: z.object({
            created: z.number().int().describe('Draft tests created'),
            tests: z.array(testDto),
          }),
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (req, reply) => {
      const project = projectOf(req);
      const provider = await llmProviderFor(store, config, project.workspaceId);
      if (req.body.journeys && !provider)
        throw new AppError('bad_request', NO_LLM_JOURNEYS_MESSAGE);
      const site = await siteMapOf(store, project.id, req.body.crawlId);
      const existing = await existingTests(store, project.id);
      const docs = generateTests(site, existing, {
        ...(req.body.kinds ? { kinds: req.body.kinds } : {}),
        ...(req.body.submitSafeForms !== undefined
          ? { submitSafeForms: req.body.submitSafeForms }
          : {}),
      });
      // Naming is best effort: without an LLM, or when it fails, the heuristic names stay.
      const named = await nameTests(provider, docs);
      const tests = await storeDrafts(store, project.id, named, {
        source: 'crawl',
        actor: actorOf(req),
      });
      if (req.body.journeys && provider) {
        const drafted = await draftJourneys(provider, site, { log: req.log });
        // Compared with the heuristic drafts too, so a journey equal to a menu walk is not stored twice.
        const journeys = dedupeTests(drafted, [...existing, ...named.map(asExisting)]);
        tests.push(
          ...(await storeDrafts(store, project.id, journeys, {
            source: 'llm',
            actor: actorOf(req),
          })),
        );
      }
      return reply.code(201).send({ created: tests.length, tests: tests.map(toTestDto) });
    },
  );
};
