/** sitemap.xml: the page URLs of a urlset, or the child sitemaps of a sitemap index. */

export interface ParsedSitemap {
  /** `<url><loc>` entries. */
  urls: string[];
  /** `<sitemap><loc>` entries of a sitemap index. */
  sitemaps: string[];
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decodeXml(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(amp|lt|gt|quot|apos);/g, (_m, name: string) => ENTITIES[name] ?? '')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .trim();
}

/**
 * Read loc entries with a tolerant scan rather than a full XML parser: sitemaps are flat, and a
 * malformed one should still give what it can. At most `limit` entries of each kind.
 */
export function parseSitemap(xml: string, limit = 5000): ParsedSitemap {
  const urls: string[] = [];
  const sitemaps: string[] = [];
  const block = /<(url|sitemap)\b[^>]*>([\s\S]*?)<\/\1\s*>/gi;
  for (const m of xml.matchAll(block)) {
    const loc = /<loc\b[^>]*>([\s\S]*?)<\/loc\s*>/i.exec(m[2] ?? '');
    if (!loc?.[1]) continue;
    const target = (m[1] ?? '').toLowerCase() === 'url' ? urls : sitemaps;
    if (target.length < limit) target.push(decodeXml(loc[1]));
  }
  return { urls, sitemaps };
}
