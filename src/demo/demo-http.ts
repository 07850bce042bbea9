import type { IncomingMessage, ServerResponse } from 'node:http';

/** The largest request body the demo site reads; its forms are tiny. */
const BODY_LIMIT = 64 * 1024;

const baseHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  // Tests must always see the current state of the app, never a cached page.
  'cache-control': 'no-store',
};

/** A request body that could not be read or parsed; answered as a 4xx JSON error. */
export class BodyError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  if (status === 204) {
    res.writeHead(204, { ...baseHeaders, ...headers }).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      ...baseHeaders,
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

/** The error shape used across Greenlight: `{ error, code, details? }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  error: string,
  details?: unknown,
): void {
  sendJson(res, status, details === undefined ? { error, code } : { error, code, details });
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string | string[]> = {},
): void {
  res
    .writeHead(status, {
      ...baseHeaders,
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
    })
    .end(html);
}

export function redirect(
  res: ServerResponse,
  location: string,
  status = 302,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { ...baseHeaders, ...headers, location }).end();
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie is ignored, as a browser-facing server should.
    }
  }
  return out;
}

/** A `Set-Cookie` value for a session-style cookie; maxAge 0 deletes it. */
export function cookie(name: string, value: string, maxAgeSeconds?: number): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  return parts.join('; ');
}

async function readText(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > BODY_LIMIT)
    throw new BodyError(413, 'payload_too_large', 'request body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > BODY_LIMIT) throw new BodyError(413, 'payload_too_large', 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Read a JSON or url-encoded form body into a plain object, and say which it was so a handler
 * can answer a browser form with a redirect and a script with JSON.
 */
export async function readBody(
  req: IncomingMessage,
): Promise<{ kind: 'json' | 'form'; data: unknown }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = await readText(req);
  if (type === 'application/x-www-form-urlencoded') {
    return { kind: 'form', data: Object.fromEntries(new URLSearchParams(text)) };
  }
  if (type === 'application/json' || (type === '' && text.trim() === '')) {
    if (text.trim() === '') return { kind: 'json', data: {} };
    try {
      return { kind: 'json', data: JSON.parse(text) as unknown };
    } catch {
      throw new BodyError(400, 'bad_request', 'request body is not valid JSON');
    }
  }
  throw new BodyError(
    415,
    'unsupported_media_type',
    'send application/json or application/x-www-form-urlencoded',
  );
}

/** A path after `next=` that stays on this site (no `//host` or absolute URL). */
export function safeNext(next: string | null | undefined, fallback: string): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\')
    ? next
    : fallback;
}
