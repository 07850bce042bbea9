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

/** The options with defaults applied: base without trailing slash, global fetch, 15 s. */
export interface ForgeConnection {
  base: string;
  token: string;
  fetch: FetchFn;
  timeoutMs: number;
}

export function forgeConnection(o: ForgeClientOptions): ForgeConnection {
  return {
    base: o.baseUrl.replace(/\/+$/, ''),
    token: o.token,
    fetch: o.fetch ?? fetch,
    timeoutMs: o.timeoutMs ?? 15_000,
  };
}

export interface ForgeRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  fetch: FetchFn;
  timeoutMs: number;
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
      redirect: 'error',
      signal: AbortSignal.timeout(r.timeoutMs),
    });
  } catch (e) {
    const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : '';
    throw new ForgeApiError(`${r.provider} could not be reached (${where}): ${why}`, null);
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
  if (!res.ok) {
    throw new ForgeApiError(
      `${r.provider} answered HTTP ${res.status} to ${where}: ${messageOf(json)}${hintFor(r.provider, res.status)}`,
      res.status,
    );
  }
  return { status: res.status, headers: res.headers, json };
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
export function sameOrigin(next: string, base: string): boolean {
  try {
    return new URL(next).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
