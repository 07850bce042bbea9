import type { Config } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import type { AiProviderKind } from '../../domain/workspace-settings.ts';
import { asStandardFetch, guardedFetch } from '../../integrations/guarded-fetch.ts';
import { resolvePublicTarget } from '../../integrations/ssrf.ts';
import type { Store } from '../../store/connect.ts';
import { ollamaProvider } from './ollama.ts';
import { openAiCompatibleProvider } from './openai-compatible.ts';
import {
  createLlmProvider,
  DEFAULT_OLLAMA_BASE_URL,
  DEFAULT_OLLAMA_MODEL,
  DEFAULT_OPENAI_BASE_URL,
  DEFAULT_OPENAI_MODEL,
  type LlmProvider,
} from './provider.ts';

/** Where the LLM configuration in force comes from: the workspace's settings win over env. */
export type LlmSource = 'settings' | 'environment' | 'none';

/** The LLM configuration in force for a workspace, key included (never sent to clients). */
export interface EffectiveLlm {
  source: LlmSource;
  provider: AiProviderKind | null;
  baseUrl: string | null;
  model: string | null;
  apiKey: string | null;
}

type LlmConfig = Pick<
  Config,
  'llmProvider' | 'llmBaseUrl' | 'llmApiKey' | 'llmModel' | 'allowPrivateUrls' | 'trustedOrigins'
>;

export const defaultBaseUrl = (p: AiProviderKind): string =>
  p === 'ollama' ? DEFAULT_OLLAMA_BASE_URL : DEFAULT_OPENAI_BASE_URL;
export const defaultModel = (p: AiProviderKind): string =>
  p === 'ollama' ? DEFAULT_OLLAMA_MODEL : DEFAULT_OPENAI_MODEL;

/** What the environment variables configure (GREENLIGHT_LLM_*), as createLlmProvider reads them. */
export function environmentLlm(config: LlmConfig): EffectiveLlm {
  const configured = config.llmProvider === 'ollama' || config.llmApiKey !== null;
  if (!configured) {
    return { source: 'none', provider: null, baseUrl: null, model: null, apiKey: null };
  }
  return {
    source: 'environment',
    provider: config.llmProvider,
    baseUrl: config.llmBaseUrl ?? defaultBaseUrl(config.llmProvider),
    model: config.llmModel ?? defaultModel(config.llmProvider),
    apiKey: config.llmApiKey,
  };
}

/** The workspace's AI setting when it has one, else the environment's configuration. */
export async function effectiveLlm(
  store: Store,
  config: LlmConfig,
  workspaceId: string | null,
): Promise<EffectiveLlm> {
  const s = workspaceId ? await store.workspaceSettings.get(workspaceId, 'ai') : undefined;
  if (!s) return environmentLlm(config);
  const { provider } = s.value;
  return {
    source: 'settings',
    provider,
    baseUrl: s.value.baseUrl ?? defaultBaseUrl(provider),
    model: s.value.model ?? defaultModel(provider),
    apiKey: s.secret,
  };
}

/**
 * A provider for the given configuration. A URL from settings (a workspace admin typed it) goes
 * through the SSRF guard on every request; the environment's is the operator's and is trusted,
 * as before (its default Ollama lives on 127.0.0.1).
 */
function providerOf(llm: EffectiveLlm, config: LlmConfig): LlmProvider | null {
  if (llm.source === 'none' || !llm.provider) return null;
  if (llm.source === 'environment') return createLlmProvider(config as Config);
  const opts = {
    baseUrl: llm.baseUrl ?? defaultBaseUrl(llm.provider),
    model: llm.model ?? defaultModel(llm.provider),
    apiKey: llm.apiKey,
    // The LLM client bounds each call with its own signal (postJson); 4 MiB is far above an answer.
    fetch: asStandardFetch(
      guardedFetch(config, {
        purpose: 'LLM API URL',
        timeoutMs: 10 * 60_000,
        maxBytes: 4 * 1024 * 1024,
      }),
    ),
  };
  if (llm.provider === 'ollama') return ollamaProvider(opts);
  // An OpenAI-compatible API without a key is refused by it anyway; say so before calling.
  if (!llm.apiKey) return null;
  return openAiCompatibleProvider({ ...opts, apiKey: llm.apiKey });
}

/** The LLM provider for a workspace's work (settings, then environment); null: heuristics only. */
export async function llmProviderFor(
  store: Store,
  config: LlmConfig,
  workspaceId: string | null,
): Promise<LlmProvider | null> {
  return providerOf(await effectiveLlm(store, config, workspaceId), config);
}

/** Refuse a base URL the guard would refuse at call time (400), before it is saved. */
export async function checkLlmBaseUrl(url: string, config: LlmConfig): Promise<void> {
  await resolvePublicTarget(url, config, { purpose: 'LLM API URL', allowUnresolved: true });
}

/** The outcome of one real, minimal call to the provider. */
export interface LlmCheck {
  ok: boolean;
  latencyMs: number;
  source: LlmSource;
  provider: AiProviderKind | null;
  model: string | null;
  baseUrl: string | null;
  error: string | null;
}

const CHECK_TIMEOUT_MS = 20_000;

/**
 * Ask the provider for a one-field JSON object, the smallest request that exercises what drafting
 * needs (auth, model, JSON mode). Never throws: a failure is reported with its reason.
 */
export async function checkLlm(
  llm: EffectiveLlm,
  config: LlmConfig,
  clock: () => number = () => performance.now(),
): Promise<LlmCheck> {
  const base = {
    source: llm.source,
    provider: llm.provider,
    model: llm.model,
    baseUrl: llm.baseUrl,
  };
  const provider = providerOf(llm, config);
  if (!provider) {
    const why =
      llm.source === 'none'
        ? 'no AI provider is configured (settings or GREENLIGHT_LLM_* variables)'
        : 'an OpenAI-compatible provider needs an API key';
    return { ...base, ok: false, latencyMs: 0, error: why };
  }
  const started = clock();
  try {
    const answer = await provider.complete(
      [
        { role: 'system', content: 'You answer with JSON only.' },
        { role: 'user', content: 'Reply with {"ok": true}.' },
      ],
      { json: true, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) },
    );
    const latencyMs = Math.round(clock() - started);
    if (answer.trim() === '') {
      return { ...base, ok: false, latencyMs, error: 'the model answered with nothing' };
    }
    return { ...base, ok: true, latencyMs, error: null };
  } catch (err) {
    const latencyMs = Math.round(clock() - started);
    const message = err instanceof AppError || err instanceof Error ? err.message : String(err);
    return { ...base, ok: false, latencyMs, error: message };
  }
}
