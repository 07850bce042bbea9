import pkg from '../../package.json' with { type: 'json' };

// What the GitHub and GitLab clients share: one JSON request with a time limit, and an error
// that says which call failed and why without ever carrying the token.

export const FORGE_USER_AGENT = `Greenlight/${pkg.version} (+pr-feedback)`;

/** A call to GitHub/GitLab that did not succeed: `status` null for a network failure. */
export class ForgeApiError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super(message);
    this.name = 'ForgeApiError';
    this.status = status;
  }
}

export type FetchFn = typeof fetch;

/** How a GitHub or GitLab client reaches its API; one token per client. */
export interface ForgeClientOptions {
  /** API root, e.g. `https://api.github.com` or `https://gitlab.com/api/v4`. */
  baseUrl: string;
  token: string;
  fetch?: FetchFn;
  timeoutMs?: number;
}

/** The options with defaults applied: base without trailing slash, a bounded fetch, 15 s. */
export interface ForgeConnection {
  base: string;
  token: string;
  fetch: FetchFn;
}

export function forgeConnection(o: ForgeClientOptions): ForgeConnection {
  const base = o.baseUrl.replace(/\/+$/, '');
  return { base, token: o.token, fetch: boundFetch(base, o.fetch ?? fetch, o.timeoutMs ?? 15_000) };
}

/**
 * The fetch every forge call goes through: a token is never sent to another origin than the API
 * root (a Link header may name any URL), a redirect is an error, not followed, and each call has
 * a time limit.
 */
function boundFetch(base: string, inner: FetchFn, timeoutMs: number): FetchFn {
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!sameOrigin(url, base)) {
      throw new Error(`refused to send the token to ${originOf(url)}, outside ${originOf(base)}`);
    }
    const limit = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, limit]) : limit;
    const res = await inner(url, { ...init, redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      throw new Error(`answered with a redirect (HTTP ${res.status}), which is not followed`);
    }
    return res;
  };
}

const originOf = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
};

export interface ForgeRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  fetch: FetchFn;
  /** Names the provider in error messages: `GitHub`, `GitLab`. */
  provider: string;
}

export interface ForgeResponse {
  status: number;
  headers: Headers;
  json: unknown;
}

/** Send one request; a non-2xx answer or a network failure throws ForgeApiError. */
export async function forgeRequest(r: ForgeRequest): Promise<ForgeResponse> {
  const headers: Record<string, string> = { 'user-agent': FORGE_USER_AGENT, ...r.headers };
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  const where = `${r.method} ${new URL(r.url).pathname}`;
  let res: Response;
  try {
    res = await r.fetch(r.url, {
      method: r.method,
      headers,
      ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
    });
  } catch (e) {
    throw unreachable(r.provider, where, causeOf(e));
  }
  const text = await res.text();
  let json: unknown = null;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) throw refused(r.provider, where, res.status, json);
  return { status: res.status, headers: res.headers, json };
}

/** The error for a call that got no answer. */
export function unreachable(provider: string, where: string, why: string): ForgeApiError {
  return new ForgeApiError(`${provider} could not be reached (${where}): ${why}`, null);
}

/** A failed fetch's own words (ECONNREFUSED, a timeout), not undici's "fetch failed". */
export function causeOf(e: unknown): string {
  return e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
}

/** The error for a non-2xx answer, with the provider's explanation and what usually causes it. */
export function refused(
  provider: string,
  where: string,
  status: number,
  json: unknown,
): ForgeApiError {
  return new ForgeApiError(
    `${provider} answered HTTP ${status} to ${where}: ${messageOf(json)}${hintFor(provider, status)}`,
    status,
  );
}

/** The provider's own explanation (`message` on GitHub, `message`/`error` on GitLab), short. */
function messageOf(json: unknown): string {
  if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    const m = o.message ?? o.error;
    if (typeof m === 'string') return m.slice(0, 300);
    if (m !== undefined) return JSON.stringify(m).slice(0, 300);
  }
  return 'no explanation given';
}

function hintFor(provider: string, status: number): string {
  if (status === 401) return ' (the token is invalid or expired)';
  if (status === 403) {
    return provider === 'GitHub'
      ? ' (the token lacks a permission: statuses: write, pull_requests: write or issues: write, checks: write; classic PATs need repo)'
      : ' (the token needs the api scope and Developer access)';
  }
  if (status === 404)
    return ' (unknown repository, pull request or commit, or the token cannot see it)';
  return '';
}

/** Remove every occurrence of the token from a text before it is logged or stored. */
export function scrubToken(text: string, token: string): string {
  return token.length >= 4 ? text.split(token).join('***') : text;
}

/** True when `next` is on the same origin as `base`: a token is never sent to another host. */
function sameOrigin(next: string, base: string): boolean {
  try {
    return new URL(next).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/** The `rel="next"` URL of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}
