import type { SiteMap } from './site-map.ts';

/** A URL the crawl saw answer badly, and the page that linked to it (when one did). */
export interface CrawlFinding {
  url: string;
  /** HTTP status, or 0 when the request failed outright (refused, reset). */
  status: number;
  from: string | null;
}

export interface CrawlFindings {
  /** Links (or requested pages) answering 4xx, or not answering at all. */
  brokenLinks: CrawlFinding[];
  /** Pages and link targets answering 5xx. */
  serverErrors: CrawlFinding[];
}

/**
 * What a finished crawl says about the site as a gate: every URL that answered an error once,
 * split into broken links (4xx, no answer) and server errors (5xx), each with the first page
 * that linked to it. Pure, so the verdict of a crawl phase follows from its site map alone.
 */
export function crawlFindings(site: SiteMap): CrawlFindings {
  const seen = new Map<string, CrawlFinding>();
  for (const l of site.brokenLinks) {
    if (!seen.has(l.url)) seen.set(l.url, { url: l.url, status: l.status, from: l.from });
  }
  for (const s of site.skipped ?? []) {
    if (s.reason !== 'error' || s.status === undefined || s.status < 400) continue;
    if (!seen.has(s.url)) seen.set(s.url, { url: s.url, status: s.status, from: null });
  }
  const all = [...seen.values()];
  return {
    brokenLinks: all.filter((f) => f.status < 500),
    serverErrors: all.filter((f) => f.status >= 500),
  };
}
