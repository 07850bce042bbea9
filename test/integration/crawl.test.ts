import type { ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { crawl } from '../../src/crawl/crawler.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import { startStaticServer, type Handler, type StaticServer } from '../helpers/static-server.ts';

const allowPrivateUrls = ['loopback'];
let pool: BrowserPool;
let dir: string;

const page = (res: ServerResponse, title: string, body: string, status = 200): void => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`);
};
const text = (res: ServerResponse, type: string, body: string): void => {
  res.writeHead(200, { 'content-type': type });
  res.end(body);
};

beforeAll(() => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  dir = mkdtempSync(join(tmpdir(), 'gl-crawl-'));
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('crawling the bundled demo site', () => {
  let demo: DemoSite;
  beforeAll(async () => {
    demo = await startDemoSite({ slowMs: 20 });
  });
  afterAll(() => demo.close());

  it('finds exactly the expected pages, in breadth-first order, whatever the concurrency', async () => {
    const map = await crawl(pool, { startUrl: demo.url, allowPrivateUrls, concurrency: 3 });
    // /dashboard redirects signed-out visitors to /login?next=%2Fdashboard: kept under its final
    // URL with requestedUrl. Five products share one template: the first three are kept.
    expect(map.pages.map((p) => [p.path, p.status, p.depth])).toEqual([
      ['/', 200, 0],
      ['/products', 200, 1],
      ['/app', 200, 1],
      ['/reports', 200, 1],
      ['/contact', 200, 1],
      ['/login?next=%2Fdashboard', 200, 1],
      ['/login', 200, 1],
      ['/products/paper-planner', 200, 2],
      ['/products/task-board', 200, 2],
      ['/products/focus-timer', 200, 2],
    ]);
    expect(map.pages[5]?.requestedUrl).toBe(`${demo.url}/dashboard`);
    expect(map.skipped).toEqual([
      { url: `${demo.url}/products/sticky-notes`, reason: 'duplicate-template' },
      { url: `${demo.url}/products/standing-desk`, reason: 'duplicate-template' },
    ]);
    expect(map.brokenLinks).toEqual([]);
    expect(new Set(map.pages.slice(7).map((p) => p.fingerprint)).size).toBe(1);

    const byPath = Object.fromEntries(map.pages.map((p) => [p.path, p]));
    expect(byPath['/products']?.title).toBe('Products · Acme Tasks');
    expect(byPath['/products']?.headings[0]).toEqual({ level: 1, text: 'Products' });
    expect(byPath['/']?.navLinks.map((l) => l.text)).toEqual(
      expect.arrayContaining([
        'Acme Tasks',
        'Products',
        'Todos',
        'Reports',
        'Contact',
        'Dashboard',
        'Sign in',
      ]),
    );
    const login = byPath['/login']?.forms[0];
    expect(login).toMatchObject({ method: 'POST', submitText: 'Sign in', destructive: false });
    expect(login?.fields.map((f) => [f.label, f.type])).toEqual(
      expect.arrayContaining([
        ['Email', 'email'],
        ['Password', 'password'],
      ]),
    );
    // The todo app renders client-side from /api/todos: its call and its JSON shape are recorded.
    const app = byPath['/app'];
    expect(app?.apiCalls).toContainEqual(
      expect.objectContaining({ method: 'GET', status: 200, contentType: 'application/json' }),
    );
    expect(app?.apiCalls[0]?.jsonShape).toBeTypeOf('object');
    expect(app?.inputs.some((i) => i.label === 'New todo')).toBe(true);
    expect(app?.consoleErrors).toEqual([]);

    const again = await crawl(pool, { startUrl: demo.url, allowPrivateUrls, concurrency: 1 });
    expect(again.pages.map((p) => p.path)).toEqual(map.pages.map((p) => p.path));
  });
});

describe('crawling fixture sites', () => {
  let site: StaticServer;
  beforeAll(async () => {
    const items: Record<string, Handler> = {};
    for (let n = 1; n <= 20; n++) {
      items[`* /items/${n}`] = (_q, res) =>
        page(
          res,
          `Item ${n} · Shop`,
          `<h1>Item ${n}</h1><h2>Details</h2><a href="/items">All items</a>`,
        );
    }
    const list = Array.from(
      { length: 20 },
      (_, i) => `<li><a href="/items/${i + 1}">Item ${i + 1}</a></li>`,
    );
    site = await startStaticServer(dir, {
      'GET /robots.txt': (_q, res) =>
        text(res, 'text/plain', 'User-agent: *\nDisallow: /secret\nAllow: /secret/open\n'),
      'GET /sitemap.xml': (_q, res) =>
        text(
          res,
          'application/xml',
          '<urlset><url><loc>/ignored-relative</loc></url><url><loc>SITE/from-sitemap</loc></url></urlset>'.replace(
            'SITE',
            site.url,
          ),
        ),
      'GET /': (_q, res) =>
        page(
          res,
          'Home',
          `<header><nav><a href="/a?utm_source=x">A</a> <a href="/b/">B</a></nav></header><h1>Home</h1>
           <a href="/secret/x">Secret</a> <a href="/secret/open">Open</a> <a href="/missing">Gone</a>
           <a href="/a#frag">A again</a> <a href="/items">Items</a> <a href="mailto:x@y.z">Mail</a>
           <form action="/account/delete" method="post"><label>Why <input name="why" required></label><button>Delete my account</button></form>`,
        ),
      'GET /a': (_q, res) => page(res, 'A', '<h1>A</h1><a href="/slow">Slow</a>'),
      'GET /b': (_q, res) => page(res, 'B', '<h1>B</h1><a href="/">Home</a>'),
      'GET /secret/x': (_q, res) => page(res, 'Secret', '<h1>Secret</h1>'),
      'GET /secret/open': (_q, res) => page(res, 'Open', '<h1>Open</h1>'),
      'GET /from-sitemap': (_q, res) => page(res, 'From sitemap', '<h1>Mapped</h1>'),
      'GET /items': (_q, res) => page(res, 'Items', `<h1>Items</h1><ul>${list.join('')}</ul>`),
      // Busy in its load handler, then fetches on the next tick: when the browser reports
      // `load`, the network has long been quiet and the fetch has not started.
      'GET /late-fetch': (_q, res) =>
        page(
          res,
          'Late fetch',
          `<h1>Late</h1><script>
             addEventListener('load', () => {
               const t = Date.now(); while (Date.now() - t < 300) {}
               setTimeout(() => fetch('/api/late').then((r) => r.json()));
             });
           </script>`,
        ),
      'GET /api/late': (_q, res) => text(res, 'application/json', '{"items":[1,2,3]}'),
      // Answers only after a while: what an abort interrupts.
      '* /slow': (req, res) => {
        if (req.method === 'HEAD') return page(res, 'Slow', '');
        const t = setTimeout(() => page(res, 'Slow', '<h1>Slow</h1>'), 20_000);
        res.on('close', () => clearTimeout(t));
      },
      ...items,
    });
  });
  afterAll(() => site.close());

  it('honours robots.txt, reads sitemap.xml, normalises links and reports broken ones', async () => {
    const map = await crawl(pool, {
      startUrl: site.url,
      allowPrivateUrls,
      maxDepth: 1,
      maxPerTemplate: 3,
    });
    expect(map.pages.map((p) => p.path)).toEqual([
      '/',
      '/from-sitemap',
      '/a',
      '/b',
      '/secret/open',
      '/items',
    ]);
    expect(map.skipped).toContainEqual({ url: `${site.url}/secret/x`, reason: 'robots' });
    expect(site.requests).not.toContain('GET /secret/x');
    expect(map.brokenLinks).toEqual([
      { from: `${site.url}/`, url: `${site.url}/missing`, status: 404 },
    ]);
    const home = map.pages[0];
    expect(home?.navLinks.map((l) => l.href)).toEqual([`${site.url}/a`, `${site.url}/b`]);
    expect(home?.forms[0]).toMatchObject({
      method: 'POST',
      submitText: 'Delete my account',
      destructive: true,
      fields: [{ label: 'Why', name: 'why', type: 'text', required: true }],
    });

    const ignoring = await crawl(pool, {
      startUrl: site.url,
      allowPrivateUrls,
      maxDepth: 1,
      respectRobots: false,
      useSitemap: false,
    });
    expect(ignoring.pages.map((p) => p.path)).toContain('/secret/x');
    expect(ignoring.pages.map((p) => p.path)).not.toContain('/from-sitemap');
  });

  it('keeps at most three pages of one template out of twenty, and stops opening more', async () => {
    const before = site.requests.filter((r) => r.startsWith('GET /items/')).length;
    const map = await crawl(pool, {
      startUrl: `${site.url}/items`,
      allowPrivateUrls,
      concurrency: 2,
      useSitemap: false,
    });
    expect(map.pages.map((p) => p.path)).toEqual(['/items', '/items/1', '/items/2', '/items/3']);
    expect(map.skipped?.filter((s) => s.reason === 'duplicate-template')).toHaveLength(17);
    const opened = site.requests.filter((r) => r.startsWith('GET /items/')).length - before;
    expect(opened).toBeLessThanOrEqual(10);
  });

  it('records the API call a page starts just after load, however late the browser reports it', async () => {
    for (let i = 0; i < 3; i++) {
      const map = await crawl(pool, {
        startUrl: `${site.url}/late-fetch`,
        allowPrivateUrls,
        maxDepth: 0,
        useSitemap: false,
      });
      expect(map.pages[0]?.apiCalls).toEqual([
        expect.objectContaining({ method: 'GET', status: 200, contentType: 'application/json' }),
      ]);
    }
  });

  it('stops when aborted and returns the pages found so far', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const map = await crawl(pool, {
      startUrl: site.url,
      allowPrivateUrls,
      concurrency: 1,
      useSitemap: false,
      onProgress: (p) => {
        if (p.current.endsWith('/slow')) controller.abort();
      },
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(map.pages.map((p) => p.path)).toContain('/');
    expect(map.pages.map((p) => p.path)).not.toContain('/slow');
  });

  it('refuses private and metadata start URLs without connecting', async () => {
    const fresh = new BrowserPool({ chromiumPath: null, browserWs: null });
    for (const startUrl of ['http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data']) {
      await expect(crawl(fresh, { startUrl })).rejects.toMatchObject({ code: 'validation_failed' });
    }
    // Loopback too, unless allowed.
    await expect(crawl(fresh, { startUrl: site.url })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(fresh.current).toBeNull();
    await fresh.close();
  });
});
