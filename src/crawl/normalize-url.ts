/**
 * URL normalisation for the crawl frontier: two URLs that show the same page must compare equal,
 * or the crawler visits (and counts) it twice.
 */

/** Query parameters that only track where a visitor came from; they never change the page. */
const TRACKING_PARAMS = new Set([
  'gclid',
  'fbclid',
  'msclkid',
  'dclid',
  'yclid',
  'mc_cid',
  'mc_eid',
  '_ga',
  '_gl',
  'igshid',
]);

const isTracking = (key: string): boolean =>
  key.toLowerCase().startsWith('utm_') || TRACKING_PARAMS.has(key.toLowerCase());

/**
 * The canonical form of an http(s) URL, or null for anything else (mailto:, javascript:, junk).
 * Drops the fragment, tracking parameters (utm_*, gclid, fbclid, …) and default ports, sorts the
 * remaining query parameters, lower-cases scheme and host, and removes a trailing slash from
 * every path but the root ("/products/" → "/products"; "" → "/").
 */
export function normalizeUrl(raw: string, base?: string): string | null {
  let url: URL;
  try {
    url = base === undefined ? new URL(raw) : new URL(raw, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  url.username = '';
  url.password = '';
  const params = [...url.searchParams].filter(([k]) => !isTracking(k));
  // Stable sort by key, then value: "?b=1&a=2" and "?a=2&b=1" are the same request to a server.
  params.sort(([ak, av], [bk, bv]) => (ak === bk ? cmp(av, bv) : cmp(ak, bk)));
  url.search = params.length ? new URLSearchParams(params).toString() : '';
  if (url.pathname.length > 1) url.pathname = url.pathname.replace(/\/+$/, '') || '/';
  return url.toString();
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** pathname + search of an absolute URL ("/products?page=2"). */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** A segment that names one record rather than a kind of page: contains a digit, a UUID, hex. */
const ID_LIKE = /\d|^[0-9a-f]{8,}$/i;

/**
 * The shape of a URL's path, used to recognise pages of one template: id-like segments become
 * ":id", the last segment of a nested path becomes "*", query values are dropped.
 * "/products/paper-planner" → "/products/*", "/u/42/posts?page=3" → "/u/:id/*?page",
 * "/contact" → "/contact" (top-level pages keep their name: they are rarely one template).
 */
export function pathPattern(url: string): string {
  const u = new URL(url);
  const segments = u.pathname.split('/').filter(Boolean);
  const shaped = segments.map((s, i) =>
    i === segments.length - 1 && segments.length > 1 ? '*' : ID_LIKE.test(s) ? ':id' : s,
  );
  const keys = [...new Set([...u.searchParams.keys()])].sort();
  return `/${shaped.join('/')}${keys.length ? `?${keys.join('&')}` : ''}`;
}

/** File types a crawler should not open as pages (downloads, media, archives). */
const NOT_HTML =
  /\.(pdf|zip|gz|tgz|rar|7z|png|jpe?g|gif|webp|svg|ico|mp3|mp4|webm|avi|mov|dmg|exe|msi|iso|csv|xlsx?|docx?|pptx?|woff2?|ttf|css|js|json|xml|txt)$/i;

/** True when the path names a file that is not a page (by extension). */
export function looksLikeFile(url: string): boolean {
  return NOT_HTML.test(new URL(url).pathname);
}
