import { z } from 'zod';
import { postChat } from './http.ts';
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
      const answer = await postChat(label, opts, 'api/chat', body, o, chatResponse);
      return answer.message.content;
    },
  };
}
