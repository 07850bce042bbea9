import { createRequire } from 'node:module';
import type * as FastXmlParser from 'fast-xml-parser';

/** sitemap.xml: the page URLs of a urlset, or the child sitemaps of a sitemap index. */

export interface ParsedSitemap {
  /** `<url><loc>` entries. */
  urls: string[];
  /** `<sitemap><loc>` entries of a sitemap index. */
  sitemaps: string[];
}

// A crawled site's sitemap is untrusted input: a well-kept parser reads it in linear time (the
// regex scan it replaces backtracked on an unclosed `<url>`), with no entity expansion beyond
// XML's own five and numeric references, and namespaces (`<ns:url>`) stripped.
// Made by the first sitemap read (a crawl), so a server that does not crawl never loads it.
let parser: FastXmlParser.XMLParser | undefined;
function sitemapParser(): FastXmlParser.XMLParser {
  const { XMLParser } = createRequire(import.meta.url)('fast-xml-parser') as typeof FastXmlParser;
  parser ??= new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: true,
    parseTagValue: false,
    trimValues: true,
    processEntities: true,
    htmlEntities: false,
    isArray: (name) => name === 'url' || name === 'sitemap',
  });
  return parser;
}

interface Entry {
  loc?: unknown;
}

function locs(entries: unknown, limit: number): string[] {
  if (!Array.isArray(entries)) return [];
  const out: string[] = [];
  for (const e of entries as Entry[]) {
    if (out.length >= limit) break;
    const loc = typeof e === 'object' && e !== null ? e.loc : undefined;
    if (typeof loc === 'string' && loc.trim()) out.push(loc.trim());
  }
  return out;
}

/**
 * The loc entries of a urlset or sitemap index, at most `limit` of each kind. A document that
 * is not XML, or not a sitemap, gives nothing (the crawl goes on from links).
 */
export function parseSitemap(xml: string, limit = 5000): ParsedSitemap {
  let doc: Record<string, { url?: unknown; sitemap?: unknown } | undefined>;
  try {
    doc = sitemapParser().parse(xml) as typeof doc;
  } catch {
    return { urls: [], sitemaps: [] };
  }
  return {
    urls: locs(doc.urlset?.url, limit),
    sitemaps: locs(doc.sitemapindex?.sitemap, limit),
  };
}
