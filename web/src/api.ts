// The dashboard's one way to the server: the public API under /api/v1 with the session cookie,
// and the CSRF token (the readable _csrf cookie) on every request that changes something.

export const API = '/api/v1';

/** An error answer of the API, `{ error, code, details? }`, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

function csrfToken(): string {
  const m = /(?:^|;\s*)_csrf=([^;]*)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1] ?? '') : '';
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Call the API; JSON in, JSON out; a non-2xx answer throws an ApiError with its message. */
export async function api<T>(
  path: string,
  opts: { method?: Method; body?: unknown } = {},
): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  } catch {
    throw new ApiError('The server cannot be reached. Is Greenlight running?', 0, 'network');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const e = (json ?? {}) as { error?: string; code?: string; details?: unknown };
    throw new ApiError(
      e.error ?? `The server answered ${res.status} ${res.statusText}.`,
      res.status,
      e.code ?? 'http_error',
      e.details,
    );
  }
  return json as T;
}

/** Query string from the set values of an object. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  }
  const out = s.toString();
  return out ? `?${out}` : '';
}

/** Path segment, encoded. */
export const seg = (s: string): string => encodeURIComponent(s);

/** URL of a run artifact from its stored path (`artifacts/<runId>/…`). */
export function artifactUrl(runId: string, path: string, download = false): string {
  const prefix = `artifacts/${runId}/`;
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
  return `${API}/runs/${seg(runId)}/artifacts/${rest.split('/').map(seg).join('/')}${download ? '?download=1' : ''}`;
}

/** The trace viewer served by Greenlight, opened on a trace of this server (no upload anywhere). */
export function traceViewerUrl(traceUrl: string): string {
  const abs = new URL(traceUrl, window.location.origin).toString();
  return `/trace/index.html?trace=${encodeURIComponent(abs)}`;
}

/** A readable message for anything thrown. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Every item of a cursor-paged list (`{ items, next }`), following `next` as `after`. */
export async function apiAll<T>(path: string): Promise<{ items: T[] }> {
  const items: T[] = [];
  let after: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const page: { items: T[]; next?: string | null } = await api(
      after ? `${path}${sep}after=${encodeURIComponent(after)}` : path,
    );
    items.push(...page.items);
    after = page.next ?? null;
  } while (after);
  return { items };
}
