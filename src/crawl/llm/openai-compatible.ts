import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { joinUrl, postJson } from './http.ts';
import type { ChatMessage, CompleteOptions, HttpProviderOptions, LlmProvider } from './provider.ts';

/** The part of a chat completions answer Greenlight reads. */
const completionResponse = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/**
 * An OpenAI-compatible chat completions API (OpenAI, Azure-style gateways, vLLM, LM Studio,
 * llama.cpp server…): `POST {base}/chat/completions` with a Bearer key and JSON mode.
 */
export function openAiCompatibleProvider(opts: HttpProviderOptions): LlmProvider {
  const label = `openai:${opts.model}`;
  return {
    label,
    async complete(messages: ChatMessage[], o: CompleteOptions): Promise<string> {
      const body = {
        model: opts.model,
        messages,
        ...(o.json ? { response_format: { type: 'json_object' } } : {}),
        temperature: 0,
      };
      const answer = await postJson(label, joinUrl(opts.baseUrl, 'chat/completions'), body, {
        headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      const parsed = completionResponse.safeParse(answer);
      if (!parsed.success) {
        throw new AppError('unavailable', `the LLM API (${label}) answered in an unknown shape`);
      }
      return parsed.data.choices[0]?.message.content ?? '';
    },
  };
}
