import type { Config } from '../../config.ts';
import { ollamaProvider } from './ollama.ts';
import { openAiCompatibleProvider } from './openai-compatible.ts';

/** One message of a chat, in the role vocabulary both supported APIs share. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompleteOptions {
  /** Ask the model for a JSON object (OpenAI `response_format`, Ollama `format`). */
  json: true;
  signal?: AbortSignal;
}

/** A chat model behind an HTTP API; answers with the assistant's text. */
export interface LlmProvider {
  /** `openai` or `ollama`, with the model, for logs and errors. */
  readonly label: string;
  complete(messages: ChatMessage[], opts: CompleteOptions): Promise<string>;
}

/** How a provider reaches its API; `fetch` is injectable for tests that count calls. */
export interface HttpProviderOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | null;
  /** Per-request timeout (default 120 s: local models can be slow). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';
export const DEFAULT_OLLAMA_MODEL = 'llama3.1';

/**
 * The configured provider, or null when none is: an OpenAI-compatible API needs a key, Ollama
 * needs only to be chosen (GREENLIGHT_LLM_PROVIDER=ollama). Null means heuristics only.
 */
export function createLlmProvider(config: Config): LlmProvider | null {
  if (config.llmProvider === 'ollama') {
    return ollamaProvider({
      baseUrl: config.llmBaseUrl ?? DEFAULT_OLLAMA_BASE_URL,
      model: config.llmModel ?? DEFAULT_OLLAMA_MODEL,
      apiKey: config.llmApiKey,
    });
  }
  if (!config.llmApiKey) return null;
  return openAiCompatibleProvider({
    baseUrl: config.llmBaseUrl ?? DEFAULT_OPENAI_BASE_URL,
    model: config.llmModel ?? DEFAULT_OPENAI_MODEL,
    apiKey: config.llmApiKey,
  });
}
