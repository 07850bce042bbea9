import type { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { CompleteOptions, HttpProviderOptions } from './provider.ts';
import { defined } from '../../domain/defined.ts';

/** `base` + `path` with exactly one slash between them. */
function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * POST JSON and return the parsed JSON answer. Failures become AppError('unavailable') naming
 * the provider and the status, never the key; the body is clipped, as APIs echo prompts back.
 */
export async function postJson(
  label: string,
  url: string,
  body: unknown,
  opts: {
    headers?: Record<string, string>;
    timeoutMs?: number;
    signal?: AbortSignal;
    fetch?: typeof fetch;
  },
): Promise<unknown> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 120_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    const why = timeout.aborted ? 'timed out' : e instanceof Error ? e.message : String(e);
    throw new AppError('unavailable', `the LLM API (${label}) could not be reached: ${why}`);
  }
  const text = await res.text();
  if (!res.ok) {
    throw new AppError(
      'unavailable',
      `the LLM API (${label}) answered ${res.status}: ${text.slice(0, 300)}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('unavailable', `the LLM API (${label}) answered with something not JSON`);
  }
}

/**
 * One chat request of a provider: `body` to `path` under the provider's base URL with its key,
 * timeout and fetch, and the answer checked against the part of its shape Greenlight reads.
 */
export async function postChat<T>(
  label: string,
  provider: HttpProviderOptions,
  path: string,
  body: unknown,
  o: CompleteOptions,
  shape: z.ZodType<T>,
): Promise<T> {
  const answer = await postJson(label, joinUrl(provider.baseUrl, path), body, {
    // Ollama itself takes no key; a proxy in front of it may.
    headers: provider.apiKey ? { authorization: `Bearer ${provider.apiKey}` } : {},
    ...defined({ timeoutMs: provider.timeoutMs }),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(provider.fetch ? { fetch: provider.fetch } : {}),
  });
  const parsed = shape.safeParse(answer);
  if (!parsed.success) {
    throw new AppError('unavailable', `the LLM API (${label}) answered in an unknown shape`);
  }
  return parsed.data;
}
