import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// The plumbing of a fake outside service on 127.0.0.1: read each request, hand it to a handler,
// record what was wrong with it. A fake's test asserts `violations` is empty at the end.

export interface FakeRequest {
  method: string;
  /** Decoded path segments are the handler's business: this is the raw path without query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON (or form fields) body, `undefined` when there was none. */
  body: unknown;
  rawBody: string;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeServer {
  url: string;
  /** Every request received, in order (method, path, body). */
  requests: FakeRequest[];
  /** What the requests did wrong against the documented API; empty when all was right. */
  violations: string[];
  close(): Promise<void>;
}

export async function startFakeServer(
  handle: (req: FakeRequest, violate: (why: string) => void) => FakeResponse,
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const violations: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const where = `${req.method} ${url.pathname}`;
      const violate = (why: string): void => {
        violations.push(`${where}: ${why}`);
      };
      let body: unknown;
      const form = String(req.headers['content-type'] ?? '').startsWith(
        'application/x-www-form-urlencoded',
      );
      if (rawBody !== '' && form) {
        // OAuth token endpoints take form bodies: handed over as a plain object of fields.
        body = Object.fromEntries(new URLSearchParams(rawBody));
      } else if (rawBody !== '') {
        try {
          body = JSON.parse(rawBody);
        } catch {
          violate('body is not JSON');
        }
      }
      const fr: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        rawBody,
      };
      requests.push(fr);
      let out: FakeResponse;
      try {
        out = handle(fr, violate);
      } catch (e) {
        violate(`the fake failed: ${e instanceof Error ? e.message : String(e)}`);
        out = { status: 500, body: { message: 'fake failed' } };
      }
      const text = out.body === undefined ? '' : JSON.stringify(out.body);
      res.writeHead(out.status, {
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...out.headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    violations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A registered fault: requests matching method and path answer `status` instead. */
export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  message: string;
}

export function faultFor(faults: Fault[], req: FakeRequest): Fault | undefined {
  return faults.find((f) => f.method === req.method && f.path.test(req.path));
}
