import type { Locator } from '../domain/locator.ts';
import type { PageSnapshot, SiteMap } from './site-map.ts';

/**
 * Raw test documents as the generators build them; generate.ts validates each one with
 * parseTestDocument, so a generator bug surfaces as an error rather than a broken draft.
 */
export interface RawTest {
  key: string;
  name: string;
  description?: string;
  suite?: string;
  tags: string[];
  status: 'draft';
  steps: Record<string, unknown>[];
}

/** Options shared by the generators. */
export interface GenerateOptions {
  /** Which kinds to write (default: all). */
  kinds?: readonly string[];
  /** Submit safe forms with valid data (default true). */
  submitSafeForms?: boolean;
  /** Also submit forms flagged destructive (delete, pay, …); off by default and rarely wise. */
  submitDestructiveForms?: boolean;
  /** Stop after this many new tests (default 200). */
  maxTests?: number;
}

/** Suite every generated test lands in, so the review queue can filter them. */
export const GENERATED_SUITE = 'Generated';

/**
 * The path (pathname + search) of a same-origin URL, relative so the test runs against any
 * baseUrl (staging, a PR preview); null for other origins or unparsable URLs.
 */
export function relativePath(url: string, origin: string): string | null {
  try {
    const u = new URL(url, origin);
    if (u.origin !== new URL(origin).origin) return null;
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.pathname}${u.search}`;
  } catch {
    return null;
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A URL match that accepts the path with any query or fragment after it. Used where the app may
 * add parameters of its own (a `next=` on a redirect to sign-in, an `error=` after a failed post).
 */
export function urlStartsWithPath(path: string): { matches: string } {
  const pathname = path.split('?')[0] ?? path;
  return { matches: `^https?://[^/]+${escapeRegExp(pathname)}(?:[?#]|$)` };
}

/** The main heading of a page: its first h1, else its first heading of any level. */
export function mainHeading(page: PageSnapshot): string | undefined {
  const h1 = page.headings.find((h) => h.level === 1 && h.text.trim() !== '');
  return (h1 ?? page.headings.find((h) => h.text.trim() !== ''))?.text.trim();
}

/**
 * Pages worth testing: a good status, each path once. Sorted by depth, then path length, then
 * path, so the output does not depend on the order a concurrent crawl finished pages in, and a
 * form seen on several pages is tested on the plainest URL.
 */
export function testablePages(site: SiteMap): PageSnapshot[] {
  const seen = new Set<string>();
  const out: PageSnapshot[] = [];
  const ordered = [...site.pages].sort(
    (a, b) => a.depth - b.depth || a.url.length - b.url.length || (a.url < b.url ? -1 : 1),
  );
  for (const page of ordered) {
    if (page.status < 200 || page.status >= 400) continue;
    const path = relativePath(page.url, site.origin);
    if (path === null || seen.has(path)) continue;
    seen.add(path);
    out.push(page);
  }
  return out;
}

/**
 * A role locator with an exact name. Playwright locators are strict (two matches fail the step),
 * so when the crawl saw the same name more than once on the page the first one is taken: it is
 * the one in the header or menu on nearly every site, as those come first in the document.
 */
export function roleLocator(role: 'link' | 'button' | 'heading', name: string, count: number) {
  const loc: Locator = { role, name, exact: true };
  if (count > 1) loc.nth = 0;
  return loc;
}

/** How many of `texts` equal `text` (trimmed). */
export function countOf(texts: readonly string[], text: string): number {
  return texts.filter((t) => t.trim() === text).length;
}

/**
 * Something on the page says "this input is wrong": a field marked aria-invalid, a field the
 * browser's own validation rejects, or a visible alert. Prefixed `:visible` so hidden
 * placeholders (an empty error box) do not count; `nth: 0` because several may show at once.
 */
export const VALIDATION_MESSAGE: Locator = {
  css: '[aria-invalid="true"]:visible, :invalid:visible, [role="alert"]:visible',
  nth: 0,
};

/** A visible error after a submission: the same signals minus the browser's `:invalid`. */
export const ERROR_MESSAGE: Locator = {
  css: '[aria-invalid="true"]:visible, [role="alert"]:visible',
  nth: 0,
};

/** Clip text for test names (the schema allows 300 characters; reviewers like far fewer). */
export function clip(text: string, max = 60): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
