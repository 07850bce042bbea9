import { z } from 'zod';
import { startFakeServer, type FakeServer } from './fake-http.ts';

// A fake LLM API on 127.0.0.1 speaking both dialects Greenlight supports: OpenAI-compatible
// chat completions (POST /v1/chat/completions) and Ollama (POST /api/chat). Each request is
// checked against the documented shape; answers come from a script, one per request.

const message = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** https://platform.openai.com/docs/api-reference/chat/create (the fields Greenlight may send). */
const openAiRequest = z.strictObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  response_format: z.strictObject({ type: z.enum(['json_object', 'text']) }).optional(),
  temperature: z.number().min(0).max(2).optional(),
});

/** https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion */
const ollamaRequest = z.strictObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().optional(),
  format: z.union([z.literal('json'), z.record(z.string(), z.unknown())]).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

export type ChatRequest = z.output<typeof openAiRequest>;

export interface FakeLlm extends FakeServer {
  /** Base URL for GREENLIGHT_LLM_BASE_URL in OpenAI mode (ends in /v1). */
  openAiBase: string;
  /** Base URL for Ollama mode. */
  ollamaBase: string;
  /** Bodies of the chat requests received, in order (both dialects). */
  chats: ChatRequest[];
  /** Queue assistant answers (strings sent verbatim as the message content). */
  script(...answers: string[]): void;
  /** Answer the next requests with this HTTP status instead (an outage). */
  failWith(status: number | null): void;
}

/** Start the fake; `apiKey` is the Bearer key OpenAI-mode requests must carry. */
export async function startFakeLlm(
  opts: { apiKey?: string; model?: string } = {},
): Promise<FakeLlm> {
  const answers: string[] = [];
  const chats: ChatRequest[] = [];
  let failure: number | null = null;

  const next = (violate: (why: string) => void): string => {
    const a = answers.shift();
    if (a === undefined) {
      violate('more requests than scripted answers');
      return '{}';
    }
    return a;
  };

  const server = await startFakeServer((req, violate) => {
    if (req.method !== 'POST') {
      violate(`unexpected method ${req.method}`);
      return { status: 405, body: { error: 'method not allowed' } };
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      violate('content-type is not application/json');
    }
    const openAi = req.path === '/v1/chat/completions';
    const ollama = req.path === '/api/chat';
    if (!openAi && !ollama) {
      violate(`unknown path ${req.path}`);
      return { status: 404, body: { error: 'not found' } };
    }
    const parsed = (openAi ? openAiRequest : ollamaRequest).safeParse(req.body);
    if (!parsed.success) {
      violate(`body does not match the API: ${parsed.error.message}`);
      return { status: 400, body: { error: { message: 'bad request' } } };
    }
    const body = parsed.data;
    chats.push({ model: body.model, messages: body.messages });
    if (opts.model !== undefined && body.model !== opts.model) {
      violate(`model ${body.model}, expected ${opts.model}`);
    }
    if (openAi) {
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        violate('missing or wrong Authorization: Bearer key');
        return { status: 401, body: { error: { message: 'Incorrect API key provided' } } };
      }
      const rf = (body as z.output<typeof openAiRequest>).response_format;
      if (rf?.type !== 'json_object') violate('response_format json_object was not asked for');
    } else {
      const o = body as z.output<typeof ollamaRequest>;
      if (o.stream !== false) violate('stream must be false (else Ollama answers line by line)');
      if (o.format !== 'json') violate('format json was not asked for');
    }
    if (failure !== null) return { status: failure, body: { error: { message: 'overloaded' } } };
    const content = next(violate);
    if (openAi) {
      return {
        status: 200,
        body: {
          id: `chatcmpl-${chats.length}`,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        },
      };
    }
    return {
      status: 200,
      body: {
        model: body.model,
        created_at: '2024-01-01T00:00:00Z',
        message: { role: 'assistant', content },
        done: true,
      },
    };
  });

  return {
    ...server,
    openAiBase: `${server.url}/v1`,
    ollamaBase: server.url,
    chats,
    script: (...a) => {
      answers.push(...a);
    },
    failWith: (status) => {
      failure = status;
    },
  };
}
