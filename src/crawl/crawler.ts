import type { APIRequestContext, BrowserContext, Page, Response } from 'playwright-core';
import type { BrowserPool } from '../browser/browser-pool.ts';
import { AppError } from '../domain/errors.ts';
import { EgressProxy } from '../browser/egress-proxy.ts';
import { assertPublicUrl, egressCheck } from '../integrations/ssrf.ts';
import { fingerprint } from './fingerprint.ts';
import { looksLikeFile, normalizeUrl, pathOf, pathPattern } from './normalize-url.ts';
import { extractPage, jsonShape, PAGE_LIMITS, toPageParts } from './page-snapshot.ts';
import { countPendingCalls, PENDING_CALLS_KEY, pendingCalls } from './page-pending.ts';
import { isAllowed, parseRobots, type Robots } from './robots.ts';
import { parseSitemap } from './sitemap-xml.ts';
import {
  MAX_PAGES_PER_FINGERPRINT,
  type ApiCallSnapshot,
  type BrokenLink,
  type PageSnapshot,
  type SiteMap,
  type SkipReason,
} from './site-map.ts';

export interface CrawlProgress {
  /** Pages kept in the site map so far. */
  visited: number;
  /** URLs waiting in the frontier. */
  queued: number;
  /** The URL that was just opened or finished. */
  current: string;
}

export interface CrawlOptions {
  startUrl: string;
  /**
   * Crawl only these pages (on the start URL's origin) instead of discovering from startUrl:
   * each is opened, its links are checked, none is followed, and sitemap.xml is not read.
   */
  onlyUrls?: string[];
  /** Pages kept in the site map (default 50, at most 2000). */
  maxPages?: number;
  /** Link distance from the start URL (default 3). */
  maxDepth?: number;
  /** Pages rendered at once (1–8, default 2). */
  concurrency?: number;
  /** Follow only links on the start URL's origin (default true). */
  sameOrigin?: boolean;
  /** Honour robots.txt (default true). */
  respectRobots?: boolean;
  /** Add the origin's sitemap.xml URLs to the frontier (default true). */
  useSitemap?: boolean;
  /** Pages of one template kept at most (default MAX_PAGES_PER_FINGERPRINT). */
  maxPerTemplate?: number;
  /** Private targets allowed anyway (config.allowPrivateUrls); default none. */
  allowPrivateUrls?: string[];
  /** Exact origins allowed anyway (config.trustedOrigins: the bundled demo); default none. */
  trustedOrigins?: string[];
  /** Ends the crawl early; crawl() then resolves with the pages kept so far. */
  signal?: AbortSignal;
  onProgress?: (p: CrawlProgress) => void;
  /** Called once for each page kept, in crawl order. */
  onPage?: (p: PageSnapshot) => void;
  /** A signed-in session (Playwright storage state) to crawl with. */
  storageState?: Exclude<Parameters<BrowserPool['newContext']>[0], undefined>['storageState'];
  /** Per-page navigation timeout (default 15 s). */
  navigationTimeoutMs?: number;
}

interface Item {
  url: string;
  depth: number;
}

/** What rendering one URL gave: a page, or a reason to leave it out. */
type Outcome =
  | { kind: 'page'; page: PageSnapshot }
  | { kind: 'skip'; url: string; reason: SkipReason; status?: number };

/** After `load`, how long the network must stay quiet before the page counts as settled. */
const QUIET_MS = 75;
/** The longest wait for that quiet after `load` (a page that polls never goes quiet). */
const SETTLE_MAX_MS = 3000;
/** Same-origin link targets not visited that are checked for a broken status, at most. */
const MAX_LINK_CHECKS = 200;
const MAX_SKIPPED = 1000;

const clamp = (v: number | undefined, min: number, max: number, dflt: number): number =>
  v === undefined || !Number.isFinite(v) ? dflt : Math.min(max, Math.max(min, Math.floor(v)));

/**
 * Crawl a site breadth-first in Chromium and describe what it found. Pages are rendered in
 * parallel but their results are taken in the order they were queued, so the same site gives the
 * same site map whatever the concurrency. The start URL and every navigation target pass the SSRF
 * guard; requests from pages to refused hosts are aborted. See README "Crawling".
 */
export async function crawl(pool: BrowserPool, opts: CrawlOptions): Promise<SiteMap> {
  const maxPages = clamp(opts.maxPages, 1, 2000, 50);
  const only = opts.onlyUrls !== undefined;
  const maxDepth = only ? 0 : clamp(opts.maxDepth, 0, 50, 3);
  const concurrency = clamp(opts.concurrency, 1, 8, 2);
  const perTemplate = clamp(opts.maxPerTemplate, 1, 1000, MAX_PAGES_PER_FINGERPRINT);
  const allow = {
    allowPrivateUrls: opts.allowPrivateUrls ?? [],
    trustedOrigins: opts.trustedOrigins ?? [],
  };
  const startUrl = normalizeUrl(opts.startUrl);
  if (!startUrl) throw new AppError('validation_failed', 'startUrl must be an http(s) URL');
  // Refused before any connection, by the browser or otherwise.
  await assertPublicUrl(startUrl, allow, { purpose: 'crawl URL' });
  const origin = new URL(startUrl).origin;
  const signal = opts.signal ?? new AbortController().signal;
  if (signal.aborted) return { startUrl, origin, pages: [], brokenLinks: [], skipped: [] };

  // Redirect hops and the broken-link checks' requests never reach a route handler: they pass
  // the guard in this proxy, which every request of the context goes through.
  const egress = await EgressProxy.start(egressCheck(allow, { purpose: 'crawl URL' }));
  const context = await pool
    .newContext({
      ...(opts.storageState ? { storageState: opts.storageState } : {}),
      proxy: egress.contextProxy,
    })
    .catch(async (e: unknown) => {
      await egress.close();
      throw e;
    });
  // On abort the open pages are closed (their navigations reject at once); the context is closed
  // in `finally`, after every task has ended: opening a page on a closing context can hang.
  const openPages = new Set<Page>();
  const stop = (): void => {
    for (const p of openPages) void p.close().catch(() => undefined);
  };
  signal.addEventListener('abort', stop, { once: true });
  const guard = hostGuard(allow);
  // Every request a page makes goes through the guard: redirects and subresources included.
  await context.route('**/*', async (route) => {
    if (await guard(route.request().url())) return route.fallback();
    return route.abort('blockedbyclient');
  });
  await context.addInitScript(countPendingCalls, PENDING_CALLS_KEY);

  const pages: PageSnapshot[] = [];
  const skipped: { url: string; reason: SkipReason; status?: number }[] = [];
  const statusOf = new Map<string, number>();
  const seen = new Set<string>();
  const frontier: Item[] = [];
  const perFingerprint = new Map<string, number>();
  const droppedPerPattern = new Map<string, number>();
  const skip = (url: string, reason: SkipReason, status?: number): void => {
    if (skipped.length < MAX_SKIPPED) skipped.push({ url, reason, ...(status ? { status } : {}) });
  };
  const progress = (current: string): void =>
    opts.onProgress?.({ visited: pages.length, queued: frontier.length, current });

  try {
    const robots = opts.respectRobots === false ? null : await readRobots(context.request, origin);
    const allowedByRobots = (url: string): boolean =>
      !robots || new URL(url).origin !== origin || isAllowed(robots, pathOf(url));

    const enqueue = (url: string, depth: number): void => {
      if (seen.has(url)) return;
      seen.add(url);
      if (opts.sameOrigin !== false && new URL(url).origin !== origin) return;
      if (depth > maxDepth) return skip(url, 'max-depth');
      if (!allowedByRobots(url)) return skip(url, 'robots');
      if (looksLikeFile(url)) return skip(url, 'not-html');
      frontier.push({ url, depth });
    };
    if (only) {
      for (const u of opts.onlyUrls ?? []) {
        const n = normalizeUrl(u);
        if (n && new URL(n).origin === origin) enqueue(n, 0);
      }
    } else enqueue(startUrl, 0);
    if (opts.useSitemap !== false && !only) {
      const fromSitemap = await readSitemapUrls(context.request, origin, robots, maxPages * 2);
      for (const u of fromSitemap) {
        const n = normalizeUrl(u);
        if (n && new URL(n).origin === origin) enqueue(n, 1);
      }
    }

    // Results wait here until every earlier item is taken, so the crawl order is deterministic.
    const done = new Map<number, Outcome | null>();
    const running = new Set<Promise<void>>();
    let nextSeq = 0;
    let nextCommit = 0;
    let renders = 0;
    const maxRenders = maxPages * 3 + 10;

    const commit = (): void => {
      while (done.has(nextCommit)) {
        const outcome = done.get(nextCommit);
        done.delete(nextCommit);
        nextCommit++;
        if (!outcome) continue;
        if (outcome.kind === 'skip') {
          if (outcome.status !== undefined) statusOf.set(outcome.url, outcome.status);
          // A page that answered an error keeps its status: the crawl phase gates on 5xx pages.
          skip(
            outcome.url,
            outcome.reason,
            outcome.reason === 'error' ? outcome.status : undefined,
          );
          continue;
        }
        const page = outcome.page;
        const count = perFingerprint.get(page.fingerprint) ?? 0;
        if (pages.length >= maxPages) {
          skip(page.url, 'max-pages');
          continue;
        }
        if (count >= perTemplate) {
          const pattern = pathPattern(page.url);
          droppedPerPattern.set(pattern, (droppedPerPattern.get(pattern) ?? 0) + 1);
          skip(page.url, 'duplicate-template');
          continue;
        }
        perFingerprint.set(page.fingerprint, count + 1);
        pages.push(page);
        opts.onPage?.(page);
        for (const l of page.links) enqueue(l.href, page.depth + 1);
        progress(page.url);
      }
    };

    const dispatch = (item: Item, seq: number): void => {
      const task = (async () => {
        let outcome: Outcome | null;
        try {
          outcome = await renderOne(context, item, {
            signal,
            openPages,
            guard,
            origin,
            sameOrigin: opts.sameOrigin !== false,
            timeoutMs: opts.navigationTimeoutMs ?? 15_000,
            seen,
          });
        } catch (e) {
          outcome = signal.aborted ? null : { kind: 'skip', url: item.url, reason: 'error' };
          void e;
        }
        if (outcome?.kind === 'page') {
          statusOf.set(outcome.page.url, outcome.page.status);
          if (outcome.page.requestedUrl)
            statusOf.set(outcome.page.requestedUrl, outcome.page.status);
          if (outcome.page.status >= 400) {
            outcome = { kind: 'skip', url: item.url, reason: 'error', status: outcome.page.status };
          }
        }
        done.set(seq, outcome);
        commit();
      })();
      running.add(task);
      void task.finally(() => running.delete(task));
    };

    for (;;) {
      while (
        !signal.aborted &&
        running.size < concurrency &&
        frontier.length > 0 &&
        pages.length + (nextSeq - nextCommit) < maxPages &&
        renders < maxRenders
      ) {
        const item = frontier.shift() as Item;
        // Beyond a few pages of one template, siblings by URL pattern are not even opened.
        if ((droppedPerPattern.get(pathPattern(item.url)) ?? 0) >= perTemplate) {
          skip(item.url, 'duplicate-template');
          continue;
        }
        renders++;
        progress(item.url);
        dispatch(item, nextSeq++);
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }
    for (const item of frontier.splice(0)) skip(item.url, 'max-pages');
    if (signal.aborted) return { startUrl, origin, pages, brokenLinks: [], skipped };

    const brokenLinks = await findBrokenLinks(context.request, pages, statusOf, {
      origin,
      allowed: allowedByRobots,
      signal,
    });
    return { startUrl, origin, pages, brokenLinks, skipped };
  } finally {
    signal.removeEventListener('abort', stop);
    await context.close().catch(() => undefined);
    await egress.close();
  }
}

/** Allow-or-refuse per host, cached: one DNS lookup per host per crawl, not per request. */
function hostGuard(allow: {
  allowPrivateUrls: string[];
  trustedOrigins: string[];
}): (url: string) => Promise<boolean> {
  const byHost = new Map<string, Promise<boolean>>();
  return (url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return Promise.resolve(false);
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:') return Promise.resolve(true);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.resolve(false);
    let verdict = byHost.get(u.host);
    if (!verdict) {
      verdict = assertPublicUrl(u.origin, allow).then(
        () => true,
        () => false,
      );
      byHost.set(u.host, verdict);
    }
    return verdict;
  };
}

interface RenderContext {
  signal: AbortSignal;
  openPages: Set<Page>;
  guard: (url: string) => Promise<boolean>;
  origin: string;
  sameOrigin: boolean;
  timeoutMs: number;
  seen: Set<string>;
}

/** Open one URL in a fresh page and read it. */
async function renderOne(context: BrowserContext, item: Item, rc: RenderContext): Promise<Outcome> {
  if (!(await rc.guard(item.url)))
    return { kind: 'skip', url: item.url, reason: 'blocked-address' };
  if (rc.signal.aborted) throw new Error('crawl aborted');
  const page = await context.newPage();
  rc.openPages.add(page);
  if (rc.signal.aborted) await page.close();
  const consoleErrors: string[] = [];
  const apiCalls: Promise<ApiCallSnapshot | null>[] = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  const activity = (delta: number) => () => {
    inFlight += delta;
    lastActivity = Date.now();
  };
  page.on('request', activity(1));
  page.on('requestfinished', activity(-1));
  page.on('requestfailed', activity(-1));
  page.on('console', (m) => {
    if (m.type() === 'error' && consoleErrors.length < 50)
      consoleErrors.push(m.text().slice(0, 1000));
  });
  page.on('pageerror', (e) => {
    if (consoleErrors.length < 50) consoleErrors.push(e.message.slice(0, 1000));
  });
  page.on('response', (r) => {
    const type = r.request().resourceType();
    if ((type === 'xhr' || type === 'fetch') && apiCalls.length < 50) {
      apiCalls.push(readApiCall(r, rc.origin));
    }
  });
  try {
    const response = await page.goto(item.url, { waitUntil: 'load', timeout: rc.timeoutMs });
    if (!response) return { kind: 'skip', url: item.url, reason: 'error' };
    const contentType = (await response.headerValue('content-type')) ?? '';
    if (!/html/i.test(contentType)) {
      return { kind: 'skip', url: item.url, reason: 'not-html', status: response.status() };
    }
    // Quiet is counted from `load` at the earliest: what the page did before it says nothing
    // about the calls its scripts start as it finishes loading.
    lastActivity = Math.max(lastActivity, Date.now());
    await settle(
      page,
      () => inFlight,
      () => lastActivity,
    );
    const finalUrl = normalizeUrl(page.url()) ?? item.url;
    if (finalUrl !== item.url) {
      if (rc.sameOrigin && new URL(finalUrl).origin !== rc.origin) {
        return { kind: 'skip', url: item.url, reason: 'off-origin' };
      }
      // A redirect onto a page already known is that page, not a new one.
      if (rc.seen.has(finalUrl)) return { kind: 'skip', url: item.url, reason: 'duplicate-url' };
      rc.seen.add(finalUrl);
    }
    const parts = toPageParts(await page.evaluate(extractPage, PAGE_LIMITS), finalUrl, (href) =>
      normalizeUrl(href),
    );
    const calls = (await Promise.all(apiCalls)).filter((c): c is ApiCallSnapshot => c !== null);
    const status = response.status();
    const snapshot: PageSnapshot = {
      url: finalUrl,
      path: pathOf(finalUrl),
      status,
      ...parts,
      consoleErrors,
      apiCalls: calls,
      fingerprint: fingerprint({ url: finalUrl, status, ...parts }),
      depth: item.depth,
      ...(finalUrl !== item.url ? { requestedUrl: item.url } : {}),
    };
    return { kind: 'page', page: snapshot };
  } finally {
    rc.openPages.delete(page);
    await page.close().catch(() => undefined);
  }
}

/**
 * Wait (bounded) until no request has been in flight for QUIET_MS and the page itself has no
 * fetch or XHR call running: client-side apps fetch late, and the browser can report their
 * request after it reports `load`.
 */
async function settle(page: Page, inFlight: () => number, last: () => number): Promise<void> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  while (Date.now() < deadline && !page.isClosed()) {
    const quiet = inFlight() <= 0 && Date.now() - last() >= QUIET_MS;
    if (quiet && (await pendingCalls(page)) === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function readApiCall(r: Response, origin: string): Promise<ApiCallSnapshot | null> {
  const url = normalizeUrl(r.url());
  // Only the site's own API: third-party analytics are not what a contract test should pin.
  if (!url || new URL(url).origin !== origin) return null;
  const contentType = (await r.headerValue('content-type').catch(() => null)) ?? '';
  const call: ApiCallSnapshot = {
    method: r.request().method(),
    url,
    status: r.status(),
    contentType: contentType.split(';')[0]?.trim() ?? '',
  };
  if (/json/i.test(contentType)) {
    try {
      call.jsonShape = jsonShape(await r.json());
    } catch {
      // The body is gone (redirect, page closed) or not JSON after all: the shape is optional.
    }
  }
  return call;
}

async function readRobots(request: APIRequestContext, origin: string): Promise<Robots | null> {
  try {
    const res = await request.get(`${origin}/robots.txt`, { timeout: 10_000, maxRedirects: 0 });
    if (!res.ok()) return null;
    return parseRobots((await res.text()).slice(0, 500_000));
  } catch {
    return null;
  }
}

/** Same-origin page URLs from sitemap.xml (and sitemaps named in robots.txt), one index level. */
async function readSitemapUrls(
  request: APIRequestContext,
  origin: string,
  robots: Robots | null,
  limit: number,
): Promise<string[]> {
  const queue = [`${origin}/sitemap.xml`, ...(robots?.sitemaps ?? [])];
  const done = new Set<string>();
  const urls: string[] = [];
  for (let i = 0; i < queue.length && i < 10 && urls.length < limit; i++) {
    const target = normalizeUrl(queue[i] ?? '');
    if (!target || done.has(target) || new URL(target).origin !== origin) continue;
    done.add(target);
    try {
      const res = await request.get(target, { timeout: 10_000, maxRedirects: 0 });
      if (!res.ok()) continue;
      const parsed = parseSitemap((await res.text()).slice(0, 5_000_000), limit);
      urls.push(...parsed.urls.slice(0, limit - urls.length));
      if (i === 0 || queue.length < 10) queue.push(...parsed.sitemaps);
    } catch {
      // An unreachable sitemap only means fewer seeds.
    }
  }
  return urls;
}

/** Links of kept pages whose target answered >= 400 (visited, or checked here with HEAD/GET). */
async function findBrokenLinks(
  request: APIRequestContext,
  pages: PageSnapshot[],
  statusOf: Map<string, number>,
  o: { origin: string; allowed: (url: string) => boolean; signal: AbortSignal },
): Promise<BrokenLink[]> {
  const unknown: string[] = [];
  for (const p of pages) {
    for (const l of p.links) {
      if (statusOf.has(l.href) || unknown.includes(l.href)) continue;
      if (new URL(l.href).origin !== o.origin || !o.allowed(l.href)) continue;
      if (unknown.length < MAX_LINK_CHECKS) unknown.push(l.href);
    }
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unknown.length && !o.signal.aborted) {
      const url = unknown[next++] as string;
      statusOf.set(url, await checkStatus(request, url));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const broken: BrokenLink[] = [];
  for (const p of pages) {
    for (const l of p.links) {
      const status = statusOf.get(l.href);
      if (status !== undefined && (status >= 400 || status === 0)) {
        broken.push({ from: p.url, url: l.href, status });
      }
    }
  }
  return broken;
}

/** HEAD first (cheap); a failing HEAD is confirmed with GET (some servers mishandle HEAD). */
async function checkStatus(request: APIRequestContext, url: string): Promise<number> {
  try {
    const head = await request.head(url, { timeout: 10_000, maxRedirects: 0 });
    if (head.status() < 400) return head.status();
    const get = await request.get(url, { timeout: 10_000, maxRedirects: 0 });
    return get.status();
  } catch (e) {
    // A slow answer is not a broken link; a refused connection or a reset is (status 0).
    return e instanceof Error && /timeout/i.test(e.message) ? -1 : 0;
  }
}
