import { defined } from '../../src/domain/defined.ts';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' for none). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

/**
 * One request to a test server. `body` objects are sent as JSON, strings as they are; either is
 * labelled JSON unless `headers` say otherwise. A path starting with `http` is a whole URL.
 */
export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
  init?: RequestInit,
) => Promise<ApiResponse>;

const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'cookie'];

/**
 * `call` for the server at `url`. With `apiKey`, a request that carries no credentials of its
 * own sends that key; without, requests are anonymous unless they say otherwise.
 */
export function apiCaller(
  url: string,
  opts: { apiKey?: string; redirect?: RequestRedirect } = {},
): ApiCall {
  return async (method, path, body, headers = {}, init = {}) => {
    const given = Object.keys(headers).map((k) => k.toLowerCase());
    const own = CREDENTIAL_HEADERS.some((k) => given.includes(k));
    const auth: Record<string, string> =
      opts.apiKey && !own ? { authorization: `Bearer ${opts.apiKey}` } : {};
    const sent: Record<string, string> = { ...auth, ...headers };
    const req: RequestInit = {
      method,
      ...defined({ redirect: opts.redirect }),
      ...init,
      headers: sent,
    };
    if (body !== undefined) {
      req.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (!given.includes('content-type')) sent['content-type'] = 'application/json';
    }
    const res = await fetch(path.startsWith('http') ? path : url + path, req);
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
  };
}
