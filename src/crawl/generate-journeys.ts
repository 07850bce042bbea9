import { generatedKey } from './generate-dedupe.ts';
import {
  clip,
  countOf,
  GENERATED_SUITE,
  mainHeading,
  relativePath,
  roleLocator,
  testablePages,
  urlStartsWithPath,
  type RawTest,
} from './generate-shared.ts';
import type { PageSnapshot, SiteMap } from './site-map.ts';

/**
 * Navigation journeys through the main menu: from the start page, click each menu link and land
 * where the crawl landed. A link that redirected during the crawl (a members-only page sending
 * visitors to sign in) is expected to redirect the same way.
 */
export function journeyTests(site: SiteMap): RawTest[] {
  const pages = testablePages(site);
  const start = startPage(site, pages);
  if (!start) return [];
  const startPath = relativePath(start.url, site.origin);
  if (startPath === null) return [];
  const out: RawTest[] = [];
  const seen = new Set<string>();
  for (const link of start.navLinks) {
    const text = link.text.trim();
    const target = relativePath(link.href, site.origin);
    if (text === '' || target === null || target === startPath || seen.has(target)) continue;
    const landed = landingOf(site, link.href);
    if (!landed) continue; // never reached in the crawl (off-limits, broken): nothing to expect
    seen.add(target);
    const landedPath = relativePath(landed.url, site.origin) ?? target;
    const url = landedPath === target ? target : urlStartsWithPath(landedPath);
    const steps: Record<string, unknown>[] = [
      { goto: startPath },
      // Menu links often reappear in the page body ("Sign in" in a hero); the first one in the
      // document is the menu's, since the header comes first. Crawlers may list a link once per
      // URL, so their count cannot tell whether the name is unique: always take the first.
      { click: roleLocator('link', text, 2) },
      { expect: { url } },
    ];
    const heading = mainHeading(landed);
    if (heading !== undefined) {
      const n = countOf(
        landed.headings.map((h) => h.text),
        heading,
      );
      steps.push({ expect: { visible: roleLocator('heading', heading, n) } });
    }
    out.push({
      key: generatedKey('journey', target),
      name: `Main menu: "${clip(text, 40)}" leads to ${clip(landedPath, 80)}`,
      description: `Generated from the menu of ${start.url}${landedPath === target ? '' : ` (the link redirected to ${landedPath} when crawled)`}.`,
      suite: GENERATED_SUITE,
      tags: ['generated', 'journey'],
      status: 'draft',
      steps,
    });
  }
  return out;
}

/** The crawl's start page, else the shallowest page that has a menu. */
function startPage(site: SiteMap, pages: PageSnapshot[]): PageSnapshot | undefined {
  const withMenu = pages.filter((p) => p.navLinks.length > 0);
  const start = withMenu.find(
    (p) => p.url === site.startUrl || p.requestedUrl === site.startUrl || p.depth === 0,
  );
  return start ?? [...withMenu].sort((a, b) => a.depth - b.depth)[0];
}

/** The page a link led to: the page crawled at that URL, or the one it redirected to. */
function landingOf(site: SiteMap, href: string): PageSnapshot | undefined {
  const path = relativePath(href, site.origin);
  return site.pages.find(
    (p) =>
      p.status >= 200 &&
      p.status < 400 &&
      (p.url === href ||
        p.requestedUrl === href ||
        (path !== null &&
          (relativePath(p.url, site.origin) === path ||
            (p.requestedUrl !== undefined && relativePath(p.requestedUrl, site.origin) === path)))),
  );
}
