import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createDemoApi } from './demo-api.ts';
import { demoPaths, findProduct } from './demo-data.ts';
import {
  applyIncludes,
  renderDashboard,
  renderNotFound,
  renderProduct,
  renderProducts,
  renderReports,
} from './demo-html.ts';
import { BodyError, parseCookies, redirect, sendError, sendHtml } from './demo-http.ts';

export interface DemoSiteOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How long /reports takes to answer, in ms (tests set it small). */
  slowMs?: number;
  /** Serve the app with realistic regressions (env GREENLIGHT_DEMO_BROKEN=1 also turns it on). */
  broken?: boolean;
  /**
   * Answered at IDENTITY_PATH, so the Greenlight that started this site (same data folder) can
   * tell it from any other process listening on the demo port.
   */
  identity?: string;
}

/** Where the demo site says whose it is (see DemoSiteOptions.identity). */
export const IDENTITY_PATH = '/__greenlight/demo';

export interface DemoSite {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/** Static pages by path; everything else under demo/site is reachable only through /assets/. */
const staticPages: Record<string, string> = {
  '/': 'index.html',
  '/login': 'login.html',
  '/app': 'app.html',
  '/contact': 'contact.html',
};

const contentTypes: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/**
 * What broken mode changes: the kind of slip a refactor lets through. The sign-in button is
 * relabelled (tests that find it by its name no longer do) and the dashboard greets a user whose
 * name went missing.
 */
const breakage = {
  loginButton: (html: string) =>
    html.replace(
      /(<button[^>]*data-testid="login-submit"[^>]*>)\s*Sign in\s*(<\/button>)/,
      '$1Log in$2',
    ),
  dashboardName: 'undefined',
};

/** Start the Acme Tasks demo site on node:http; resolves once it listens. */
export async function startDemoSite(options: DemoSiteOptions = {}): Promise<DemoSite> {
  const host = options.host ?? '127.0.0.1';
  const slowMs = options.slowMs ?? 1500;
  const broken = options.broken ?? process.env.GREENLIGHT_DEMO_BROKEN === '1';
  const api = createDemoApi();
  // Aborted by close(), so a pending slow /reports answer never holds the server open.
  const closing = new AbortController();

  async function staticFile(res: ServerResponse, relative: string, path: string): Promise<void> {
    const file = normalize(join(demoPaths.site, relative));
    if (!file.startsWith(demoPaths.site + sep)) return notFound(res, path);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return notFound(res, path);
    }
    const type = contentTypes[extname(file)] ?? 'application/octet-stream';
    if (type.startsWith('text/html')) {
      let html = applyIncludes(body.toString('utf8'), path);
      if (broken && path === '/login') html = breakage.loginButton(html);
      return sendHtml(res, 200, html);
    }
    res
      .writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      })
      .end(body);
  }

  function notFound(res: ServerResponse, path: string, what?: string): void {
    if (path.startsWith('/api/')) sendError(res, 404, 'not_found', 'no such endpoint');
    else sendHtml(res, 404, renderNotFound(path, what));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : '/';
    const cookies = parseCookies(req.headers.cookie);
    if (path === IDENTITY_PATH) {
      const body = JSON.stringify({ identity: options.identity ?? null });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(body);
    }
    if (await api.handle(req, res, path, cookies)) return;

    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, 405, 'method_not_allowed', `${method} is not allowed here`);
    }
    const page = staticPages[path];
    if (page !== undefined) return staticFile(res, page, path);
    if (path.startsWith('/assets/')) return staticFile(res, path.slice(1), path);
    if (path === '/products') return sendHtml(res, 200, renderProducts());
    if (path.startsWith('/products/')) {
      const product = findProduct(decodeURIComponent(path.slice('/products/'.length)));
      return product ? sendHtml(res, 200, renderProduct(product)) : notFound(res, path, 'Product');
    }
    if (path === '/dashboard') {
      const user = api.sessionUser(cookies);
      if (!user) return redirect(res, `/login?next=${encodeURIComponent('/dashboard')}`);
      return sendHtml(res, 200, renderDashboard(broken ? breakage.dashboardName : user.name));
    }
    if (path === '/reports') {
      // Stop waiting when the client goes away or the site closes.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      try {
        await delay(slowMs, undefined, { signal: AbortSignal.any([gone.signal, closing.signal]) });
      } catch {
        return;
      }
      return sendHtml(res, 200, renderReports());
    }
    notFound(res, path);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof BodyError) sendError(res, e.status, e.code, e.message);
      else if (e instanceof URIError) sendError(res, 400, 'bad_request', 'malformed URL');
      else sendError(res, 500, 'internal', 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
