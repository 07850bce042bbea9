import { z } from 'zod';
import { postChat } from './http.ts';
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
      const answer = await postChat(label, opts, 'chat/completions', body, o, completionResponse);
      return answer.choices[0]?.message.content ?? '';
    },
  };
}
