import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Config } from '../config.ts';
import { resolvePublicTarget, type LookupAll, type UrlPurpose } from './ssrf.ts';

/** Largest answer read; an LLM's JSON answer is far smaller. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * A `fetch` for URLs a user configured (an LLM API's base URL): every request passes the SSRF
 * guard (ssrf.ts) and connects only to the address the guard validated, so DNS cannot swap in
 * an internal one between check and connect; redirects are not followed (a 3xx is returned as
 * it is). String bodies and headers only: what the LLM providers send.
 */
export function guardedFetch(
  config: Pick<Config, 'allowPrivateUrls'> & Partial<Pick<Config, 'trustedOrigins'>>,
  opts: { purpose: UrlPurpose; lookup?: LookupAll },
): typeof fetch {
  return async (input, init = {}) => {
    const raw = input instanceof Request ? input.url : String(input);
    const target = await resolvePublicTarget(raw, config, {
      purpose: opts.purpose,
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    const pinned = target.addresses[0];
    if (!pinned) throw new Error(`${opts.purpose} has no address to connect to`);
    const body = init.body === undefined || init.body === null ? null : init.body;
    if (body !== null && typeof body !== 'string') {
      throw new TypeError('guardedFetch sends string bodies only');
    }
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const payload = body === null ? null : Buffer.from(body, 'utf8');
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
      ...(init.signal ? { signal: init.signal } : {}),
    };
    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(target.url, options, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) {
            res.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string') h.set(k, v);
            else if (Array.isArray(v)) for (const x of v) h.append(k, x);
          }
          const status = res.statusCode ?? 502;
          // Response refuses a body for 204/304; nothing we call answers that, but be safe.
          const noBody = status === 204 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: h }));
        });
      });
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
  };
}
