import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The dashboard's build output (`npm run build -w web`), beside src/ in the package. */
const WEB_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

/** Playwright's trace viewer, shipped as static files inside playwright-core. */
function traceViewerDir(): string {
  const pkg = createRequire(import.meta.url).resolve('playwright-core/package.json');
  return join(dirname(pkg), 'lib', 'vite', 'traceViewer');
}

/**
 * Headers of the dashboard's HTML: scripts only from this server, no framing, no sniffing.
 * Styles may be inline (CodeMirror and uPlot set them); images may be data: URIs (live frames).
 */
const SHELL_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; " +
    "form-action 'self'; object-src 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Where the dashboard's pages live; `/trace/` is the trace viewer. */
const TRACE_PREFIX = '/trace/';

/** Routes @fastify/static registers for the dashboard and the trace viewer (files, no data). */
export function isStaticRoute(url: string): boolean {
  return url === '/' || url === '/*' || url.startsWith(TRACE_PREFIX);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Greenlight</title>
<p>The dashboard has not been built. Run <code>npm run build -w web</code> (npm ci does it) and
reload. The API is at <a href="/docs">/docs</a>.</p>`;

/**
 * Serve the dashboard at `/` (hashed assets cached for a year, index.html never) and the trace
 * viewer at `/trace/`. Paths that are no file and no route get index.html when the client asks
 * for HTML, so every dashboard URL is a deep link; the API keeps its JSON 404s.
 */
export async function registerWebApp(
  app: FastifyInstance,
  opts: { dist?: string } = {},
): Promise<(req: FastifyRequest, reply: FastifyReply) => boolean> {
  const dist = opts.dist ?? WEB_DIST;
  const built = existsSync(join(dist, 'index.html'));
  await app.register(fastifyStatic, {
    root: traceViewerDir(),
    prefix: TRACE_PREFIX,
    decorateReply: false,
    cacheControl: false,
    // The trace viewer's service worker must be allowed to control /trace/.
    setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
  });
  if (built) {
    await app.register(fastifyStatic, {
      root: dist,
      prefix: '/',
      index: ['index.html'],
      wildcard: true,
      cacheControl: false,
      setHeaders: (res, path) => {
        const asset = path.startsWith(join(dist, 'assets'));
        res.setHeader('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
        if (path.endsWith('.html'))
          for (const [k, v] of Object.entries(SHELL_HEADERS)) res.setHeader(k, v);
      },
    });
  }
  return (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/assets/')) return false;
    if (!(req.headers.accept ?? '').includes('text/html')) return false;
    reply.header('cache-control', 'no-cache').headers(SHELL_HEADERS);
    if (!built) void reply.code(200).type('text/html; charset=utf-8').send(NOT_BUILT);
    else void reply.sendFile('index.html', dist);
    return true;
  };
}
