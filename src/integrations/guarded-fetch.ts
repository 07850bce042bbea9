import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { Config } from '../config.ts';
import { resolvePublicTarget, type LookupAll, type UrlPurpose } from './ssrf.ts';

/** The part of `fetch` the sign-in clients use: a URL, a method, headers and a text-ish body. */
export type GuardedFetch = (
  url: string | URL,
  init?: {
    method?: string;
    headers?: Record<string, string> | Headers;
    body?: string | URLSearchParams | null;
    signal?: AbortSignal | null;
  },
) => Promise<Response>;

export interface GuardedFetchOptions {
  purpose: UrlPurpose;
  /** Whole exchange, connect to last byte (default 15 s). */
  timeoutMs?: number;
  /** Largest answer read (default 1 MiB): a provider's document or key set is far smaller. */
  maxBytes?: number;
  lookup?: LookupAll;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A fetch for outbound calls to services a user or operator configured (sign-in providers, an
 * LLM API's base URL from workspace settings): every
 * request's URL passes the SSRF guard, and the connection goes to the very address the guard
 * checked (no second DNS answer can swap in an internal one). Redirects are returned, never
 * followed: a redirect to an internal host would otherwise pass unchecked.
 */
export function guardedFetch(
  config: Pick<Config, 'allowPrivateUrls'> & Partial<Pick<Config, 'trustedOrigins'>>,
  opts: GuardedFetchOptions,
): GuardedFetch {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  return async (url, init = {}) => {
    const target = await resolvePublicTarget(String(url), config, {
      purpose: opts.purpose,
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    const pinned = target.addresses[0];
    if (!pinned) throw new Error(`${opts.purpose} has no address to connect to`);
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? {}).forEach((v, k) => (headers[k] = v));
    let payload: Buffer | null = null;
    if (init.body instanceof URLSearchParams) {
      payload = Buffer.from(init.body.toString(), 'utf8');
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') payload = Buffer.from(init.body, 'utf8');
    if (payload) headers['content-length'] = String(payload.length);

    const options: RequestOptions = {
      method: init.method ?? 'GET',
      headers,
      agent: false,
      lookup: ((
        _host: string,
        o: { all?: boolean },
        cb: (err: Error | null, a: string | LookupAddress[], f?: number) => void,
      ) => {
        if (o.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
        else cb(null, pinned.address, pinned.family);
      }) as RequestOptions['lookup'],
    };
    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(target.url, options, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let read = 0;
        res.on('data', (c: Buffer) => {
          read += c.length;
          if (read > maxBytes) {
            req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) v.forEach((x) => out.append(k, x));
            else if (v !== undefined) out.set(k, v);
          }
          const status = res.statusCode ?? 502;
          resolve(
            new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
              status,
              headers: out,
            }),
          );
        });
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`${opts.purpose} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = (): void => {
        req.destroy(new Error('request aborted'));
      };
      if (init.signal?.aborted) onAbort();
      init.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end(payload ?? undefined);
    });
  };
}

/**
 * The guarded fetch behind the standard `fetch` signature, for clients that take one (the LLM
 * providers): a Request's URL, string or form bodies. Its own time limit is the caller's signal.
 */
export function asStandardFetch(g: GuardedFetch): typeof fetch {
  return (input, init = {}) => {
    const body = init.body ?? null;
    if (body !== null && typeof body !== 'string' && !(body instanceof URLSearchParams)) {
      return Promise.reject(new TypeError('the guarded fetch sends string or form bodies only'));
    }
    return g(input instanceof Request ? input.url : String(input), {
      ...(init.method ? { method: init.method } : {}),
      headers: new Headers(init.headers),
      body,
      signal: init.signal ?? null,
    });
  };
}
