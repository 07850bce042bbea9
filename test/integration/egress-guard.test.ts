import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { EgressProxy } from '../../src/browser/egress-proxy.ts';
import { crawl } from '../../src/crawl/crawler.ts';
import { egressCheck } from '../../src/integrations/ssrf.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';

/**
 * The URL guard for what the browser does, not only for the URL it is given: a site the guard
 * allows (the "preview deployment", an exact trusted origin here) redirects to, embeds and
 * fetches from an internal service (another loopback port, standing in for 127.0.0.1:6379 or
 * 169.254.169.254). The internal service must never be reached: not by the run, not by the
 * crawl, whose redirect hops once bypassed the guard and were recorded.
 */
let internalHits: string[] = [];
let internal: Server;
let site: Server;
let siteUrl = '';
let internalUrl = '';
const base = tempBase();
const pool = new BrowserPool({ chromiumPath: null, browserWs: null });

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  internal = createServer((req, res) => {
    internalHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>internal secret 42</h1>');
  });
  internalUrl = await listen(internal);
  site = createServer((req, res) => {
    const html = (body: string): void => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>${body}`);
    };
    if (req.url === '/to-internal') {
      res.writeHead(302, { location: `${internalUrl}/latest/meta-data/` }).end();
    } else if (req.url === '/') {
      html(
        `<title>Preview</title><h1>Preview</h1><a href="/to-internal">account</a>` +
          `<img src="${internalUrl}/pixel.png">` +
          `<script>fetch('${internalUrl}/api').catch(() => {})</script>`,
      );
    } else html('<h1>other</h1>');
  });
  siteUrl = await listen(site);
});
afterAll(async () => {
  await pool.close();
  await new Promise<void>((r) => internal.close(() => r()));
  await new Promise<void>((r) => site.close(() => r()));
  rmSync(base, { recursive: true, force: true });
});

describe('the egress guard', () => {
  it('keeps a test run off internal addresses: redirects, subresources, fetch and API requests', async () => {
    internalHits = [];
    const allow = { allowPrivateUrls: [], trustedOrigins: [siteUrl] };
    const proxy = await EgressProxy.start(egressCheck(allow));
    const refusals: string[] = [];
    proxy.onRefusal((r) => refusals.push(r.reason));
    try {
      const outcome = await runTest(
        pool,
        runnerInput(
          base,
          siteUrl,
          [
            { goto: '/' },
            { expect: { text: { locator: 'h1', equals: 'Preview' } } },
            { goto: '/to-internal' },
            { expect: { text: { locator: 'h1', contains: 'internal secret' } }, timeout: 1000 },
          ],
          { proxy: proxy.contextProxy },
        ),
      );
      expect(outcome.status).toBe('failed');
      expect(outcome.failedStep).toBe(3);
      const api = await runTest(
        pool,
        runnerInput(
          base,
          siteUrl,
          [
            {
              request: { url: `${internalUrl}/admin`, expect: { bodyContains: 'internal secret' } },
            },
          ],
          {
            proxy: proxy.contextProxy,
          },
        ),
      );
      expect(api.status).toBe('failed');
      expect(api.error).not.toContain('internal secret 42');
    } finally {
      await proxy.close();
    }
    expect(internalHits).toEqual([]);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatch(/request URL host "127.0.0.1" resolves to a loopback address/);
  });

  it('checks every redirect hop of a crawl and records nothing behind a refused one', async () => {
    internalHits = [];
    const map = await crawl(pool, {
      startUrl: `${siteUrl}/`,
      trustedOrigins: [siteUrl],
      allowPrivateUrls: [],
      maxPages: 10,
      respectRobots: false,
      useSitemap: false,
    });
    expect(internalHits).toEqual([]);
    const texts = JSON.stringify(map);
    expect(texts).not.toContain('internal secret');
    expect(map.pages.some((p) => p.url.includes(internalUrl))).toBe(false);
  });
});
