import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  checkLlm,
  checkLlmBaseUrl,
  defaultBaseUrl,
  defaultModel,
  effectiveLlm,
  environmentLlm,
  type EffectiveLlm,
} from '../../crawl/llm/provider-settings.ts';
import { AppError } from '../../domain/errors.ts';
import { aiProviderKinds } from '../../domain/workspace-settings.ts';
import type { Store } from '../../store/connect.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';
import { defined } from '../../domain/defined.ts';

const sourceEnum = z.enum(['settings', 'environment', 'none']);

const aiSettingsDto = z
  .object({
    source: sourceEnum.describe('Which configuration is in force: settings win over environment'),
    provider: z.enum(aiProviderKinds).nullable(),
    baseUrl: z.string().nullable(),
    model: z.string().nullable(),
    hasKey: z.boolean(),
    keyLast4: z.string().nullable().describe('Last 4 characters of the key in force; never more'),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
    environment: z
      .object({
        configured: z.boolean(),
        provider: z.enum(aiProviderKinds).nullable(),
        baseUrl: z.string().nullable(),
        model: z.string().nullable(),
        hasKey: z.boolean(),
      })
      .describe('What GREENLIGHT_LLM_* configure; used when the workspace has no setting'),
  })
  .meta({ id: 'AiSettings' });

const checkDto = z
  .object({
    ok: z.boolean(),
    latencyMs: z.number().int(),
    source: sourceEnum,
    provider: z.enum(aiProviderKinds).nullable(),
    model: z.string().nullable(),
    baseUrl: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'AiProviderCheck' });

const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .describe('API base, e.g. https://api.openai.com/v1 or http://ollama.internal:11434');

const aiBody = z.strictObject({
  provider: z.enum(aiProviderKinds),
  baseUrl: httpUrl.nullable().optional().describe('null or absent: the provider’s default'),
  model: z.string().trim().min(1).max(200).nullable().optional(),
  apiKey: z
    .string()
    .min(8)
    .max(1000)
    .nullable()
    .optional()
    .describe('Absent: keep the saved key; null: remove it. Stored encrypted, never returned'),
});
type AiBody = z.output<typeof aiBody>;

const tags = ['settings'];
const last4 = (key: string | null): string | null => (key ? key.slice(-4) : null);

async function settingsDto(
  store: Store,
  config: Parameters<typeof environmentLlm>[0],
  workspaceId: string,
): Promise<z.output<typeof aiSettingsDto>> {
  const [llm, saved] = await Promise.all([
    effectiveLlm(store, config, workspaceId),
    store.workspaceSettings.get(workspaceId, 'ai'),
  ]);
  const env = environmentLlm(config);
  return {
    source: llm.source,
    provider: llm.provider,
    baseUrl: llm.baseUrl,
    model: llm.model,
    hasKey: llm.apiKey !== null,
    keyLast4: last4(llm.apiKey),
    updatedAt: saved?.updatedAt ?? null,
    updatedBy: saved?.updatedBy ?? null,
    environment: {
      configured: env.source === 'environment',
      provider: env.provider,
      baseUrl: env.baseUrl,
      model: env.model,
      hasKey: env.apiKey !== null,
    },
  };
}

/**
 * The workspace's AI provider for test drafting (`/tests/generate`, journeys, naming): read,
 * set, remove (the environment applies again), and check with a real minimal call.
 */
export const aiSettingsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config } = deps;

  /** The key a body means: given, removed (null), or the saved one (absent). */
  const keyOf = async (workspaceId: string, body: AiBody): Promise<string | null> => {
    if (body.apiKey !== undefined) return body.apiKey;
    return (await store.workspaceSettings.get(workspaceId, 'ai'))?.secret ?? null;
  };

  const validate = async (body: AiBody, key: string | null): Promise<void> => {
    if (body.baseUrl) await checkLlmBaseUrl(body.baseUrl, config);
    if (body.provider === 'openai' && !key) {
      throw new AppError(
        'validation_failed',
        'an OpenAI-compatible provider needs an API key: send apiKey',
        { field: 'apiKey' },
      );
    }
  };

  app.get(
    '/settings/ai',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'The AI provider in force for this workspace (the key is never returned)',
        response: { 200: aiSettingsDto, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'admin', 'admin');
      return settingsDto(store, config, p.workspaceId);
    },
  );

  app.put(
    '/settings/ai',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Set the workspace’s AI provider (wins over GREENLIGHT_LLM_*); SSRF-checked URL',
        body: aiBody,
        response: { 200: aiSettingsDto, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'admin', 'admin');
      const key = await keyOf(p.workspaceId, req.body);
      await validate(req.body, key);
      await store.workspaceSettings.set(
        p.workspaceId,
        'ai',
        {
          provider: req.body.provider,
          baseUrl: req.body.baseUrl ?? null,
          model: req.body.model ?? null,
        },
        { by: p.email, ...defined({ secret: req.body.apiKey }) },
      );
      return settingsDto(store, config, p.workspaceId);
    },
  );

  app.delete(
    '/settings/ai',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Remove the workspace’s AI provider setting: the environment’s applies again',
        response: { 200: aiSettingsDto, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'admin', 'admin');
      await store.workspaceSettings.remove(p.workspaceId, 'ai');
      return settingsDto(store, config, p.workspaceId);
    },
  );

  app.post(
    '/settings/ai/check',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary:
          'Make one real, minimal call to the provider in force (or to the one in the body, unsaved) and report ok, latency, error',
        body: aiBody.nullish(),
        response: { 200: checkDto, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'admin', 'admin');
      let llm: EffectiveLlm;
      if (req.body) {
        const key = await keyOf(p.workspaceId, req.body);
        if (req.body.baseUrl) await checkLlmBaseUrl(req.body.baseUrl, config);
        const provider = req.body.provider;
        llm = {
          source: 'settings',
          provider,
          baseUrl: req.body.baseUrl ?? defaultBaseUrl(provider),
          model: req.body.model ?? defaultModel(provider),
          apiKey: key,
        };
      } else {
        llm = await effectiveLlm(store, config, p.workspaceId);
      }
      return checkLlm(llm, config);
    },
  );
};
