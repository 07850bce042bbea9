// Benchmark: crawl speed (pages/s) on a generated static site of 500 pages linked as a tree
// (each page links to its parent and five children), served by node:http on 127.0.0.1, crawled
// with 1 and then 4 concurrent pages in the same script and the same browser.
//   node bench/crawl.ts [--pages 500] [--json]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrowserPool } from '../src/browser/browser-pool.ts';
import { loadConfig } from '../src/config.ts';
import { crawl } from '../src/crawl/crawler.ts';
import { captureStdout, emitResult, table } from './lib/result.ts';

captureStdout();

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const total = Number(arg('pages', '500'));
const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

/** Page n: a distinct title, headings and text, links to its parent and children 5n+1…5n+5. */
function pageHtml(n: number): string {
  const kids = [1, 2, 3, 4, 5].map((k) => 5 * n + k).filter((c) => c < total);
  const parent = n === 0 ? '' : `<a href="/p/${Math.floor((n - 1) / 5)}">Up</a>`;
  const word = words[n % words.length] ?? 'x';
  return `<!doctype html><html><head><title>Page ${n} ${word}</title></head><body>
<header><nav><a href="/p/0">Home</a> ${parent}</nav></header>
<main><h1>Page ${n}</h1><h2>Section ${word}</h2><p>${`Text ${word} `.repeat(40)}</p>
<ul>${kids.map((c) => `<li><a href="/p/${c}">Child ${c}</a></li>`).join('')}</ul></main></body></html>`;
}

const server = createServer((req, res) => {
  const m = /^\/p\/(\d+)$/.exec(req.url ?? '');
  const n = m ? Number(m[1]) : -1;
  if (n < 0 || n >= total) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const body = pageHtml(n);
  res
    .writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const config = loadConfig();
const pool = new BrowserPool({ chromiumPath: config.chromiumPath, browserWs: config.browserWs });

const results: { concurrency: number; pages: number; seconds: number; pagesPerSecond: number }[] =
  [];
try {
  await pool.browser(); // launch outside the timings
  for (const concurrency of [1, 4]) {
    const started = performance.now();
    const map = await crawl(pool, {
      startUrl: `${base}/p/0`,
      maxPages: total,
      maxDepth: 10,
      concurrency,
      // Every page here is one template on purpose: the bench measures rendering, not dedupe.
      maxPerTemplate: total,
      useSitemap: false,
      allowPrivateUrls: ['loopback'],
    });
    const seconds = (performance.now() - started) / 1000;
    results.push({
      concurrency,
      pages: map.pages.length,
      seconds: Number(seconds.toFixed(2)),
      pagesPerSecond: Number((map.pages.length / seconds).toFixed(1)),
    });
    if (map.pages.length !== total)
      throw new Error(`expected ${total} pages, got ${map.pages.length}`);
  }
} finally {
  await pool.close();
  server.closeAllConnections();
  server.close();
}
for (const r of results) {
  console.log(
    `concurrency ${r.concurrency}: ${r.pages} pages in ${r.seconds}s = ${r.pagesPerSecond} pages/s`,
  );
}
const [one, four] = results;
if (one && four) {
  console.log(`speed-up 4 vs 1: ${(four.pagesPerSecond / one.pagesPerSecond).toFixed(2)}x`);
  emitResult({
    bench: 'crawl',
    command: `node bench/crawl.ts --pages ${total}`,
    measures: [
      {
        name: `${total}-page site, 4 concurrent pages`,
        value: four.pagesPerSecond,
        unit: 'pages/s',
        baseline: one.pagesPerSecond,
        baselineName: '1 concurrent page',
        better: 'higher',
      },
    ],
    markdown: table(
      ['concurrent pages', 'pages', 'seconds', 'pages/s'],
      results.map((r) => [r.concurrency, r.pages, r.seconds, r.pagesPerSecond]),
    ),
  });
}
