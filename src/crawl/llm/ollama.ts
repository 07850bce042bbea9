import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { joinUrl, postJson } from './http.ts';
import type { ChatMessage, CompleteOptions, HttpProviderOptions, LlmProvider } from './provider.ts';

/** The part of an Ollama /api/chat answer (stream: false) Greenlight reads. */
const chatResponse = z.object({
  message: z.object({ role: z.string(), content: z.string() }),
});

/**
 * A local Ollama server: `POST {base}/api/chat` with `stream: false` (one JSON answer instead of
 * a line per token) and `format: "json"` (constrained to valid JSON).
 */
export function ollamaProvider(opts: HttpProviderOptions): LlmProvider {
  const label = `ollama:${opts.model}`;
  return {
    label,
    async complete(messages: ChatMessage[], o: CompleteOptions): Promise<string> {
      const body = {
        model: opts.model,
        messages,
        stream: false,
        ...(o.json ? { format: 'json' } : {}),
        options: { temperature: 0 },
      };
      const answer = await postJson(label, joinUrl(opts.baseUrl, 'api/chat'), body, {
        // Ollama itself takes no key; a proxy in front of it may.
        headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      const parsed = chatResponse.safeParse(answer);
      if (!parsed.success) {
        throw new AppError('unavailable', `the LLM API (${label}) answered in an unknown shape`);
      }
      return parsed.data.message.content;
    },
  };
}
