import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface StaticServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** `METHOD /path?query` of every request, in order. */
  requests: string[];
  /** Resolves when a request whose path (with query) starts with `prefix` arrives or has arrived. */
  waitForRequest(prefix: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

const json = (res: ServerResponse, status: number, value: unknown, headers = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
};

/** A small JSON API for request steps; `routes` given to startStaticServer win over these. */
export const apiRoutes: Record<string, Handler> = {
  'GET /api/items': (_req, res) =>
    json(
      res,
      200,
      {
        items: [
          { id: 1, name: 'one' },
          { id: 2, name: 'two', tags: ['a', 'b'] },
        ],
        total: 2,
      },
      { 'x-api-version': '1.4' },
    ),
  'POST /api/items': (_req, res, body) => {
    let parsed: object;
    try {
      parsed = JSON.parse(body) as object;
    } catch {
      return json(res, 400, { error: 'body must be JSON' });
    }
    json(res, 201, { id: 3, ...parsed }, { location: '/api/items/3' });
  },
  'GET /api/items/3': (req, res) =>
    req.headers.authorization === 'Bearer s3cr3t-token'
      ? json(res, 200, { id: 3, name: 'three' })
      : json(res, 401, { error: 'unauthorized' }),
  '* /api/echo': (req, res, body) =>
    json(res, 200, { method: req.method, headers: req.headers, body, url: req.url }),
  'GET /api/text': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('plain hello');
  },
  // Never answers: for step and test timeouts.
  '* /__hang': () => undefined,
};

/** Serve a folder of fixtures plus routes on 127.0.0.1 with a free port. */
export async function startStaticServer(
  root: string,
  routes: Record<string, Handler> = {},
): Promise<StaticServer> {
  const all = { ...apiRoutes, ...routes };
  const requests: string[] = [];
  const waiters: { prefix: string; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const target = `${url.pathname}${url.search}`;
      for (const w of waiters.filter((x) => target.startsWith(x.prefix))) w.resolve();
      const route = all[`${req.method} ${url.pathname}`] ?? all[`* ${url.pathname}`];
      if (route) return route(req, res, Buffer.concat(chunks).toString('utf8'));
      void serveFile(root, url.pathname, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitForRequest(prefix, timeoutMs = 10_000) {
      if (requests.some((r) => r.split(' ')[1]?.startsWith(prefix))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no request to ${prefix}`)), timeoutMs);
        waiters.push({
          prefix,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serveFile(root: string, pathname: string, res: ServerResponse): Promise<void> {
  const rel = normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname));
  const file = join(root, rel);
  if (!file.startsWith(root + sep)) return json(res, 403, { error: 'forbidden' });
  try {
    const data = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(data);
  } catch {
    json(res, 404, { error: 'not found' });
  }
}
