import { createHash } from 'node:crypto';
import { pathPattern } from './normalize-url.ts';
import type { FormSnapshot, HeadingSnapshot, LinkSnapshot } from './site-map.ts';

/** What a page's template is judged by. */
export interface FingerprintInput {
  url: string;
  status: number;
  title: string;
  headings: HeadingSnapshot[];
  forms: FormSnapshot[];
  links: LinkSnapshot[];
}

/** Numbers are data, not template: "Order 17" and "Order 18" are one kind of page. */
const mask = (s: string): string => s.replace(/\d+/g, '#').toLowerCase();

/**
 * A hash of a page's template, equal for pages that differ only in their record: /products/1 and
 * /products/2 hash alike. It covers the URL's path pattern, the status class, the title with the
 * main heading cut out, the heading outline (the h1's text left out, the others' kept, digits
 * masked), the form structure (method, field types and names) and the set of link patterns (each
 * link by path pattern, a link to the page itself as SELF). See README "Crawling".
 */
export function fingerprint(page: FingerprintInput): string {
  const h1 = page.headings.find((h) => h.level === 1)?.text ?? '';
  const title = h1 && page.title.includes(h1) ? page.title.replace(h1, '{h1}') : page.title;
  const outline = page.headings.map((h) => (h.level === 1 ? 'h1' : `h${h.level}:${mask(h.text)}`));
  const forms = page.forms.map(
    (f) =>
      `${f.method} ${pathPattern(f.action)} ${f.fields.map((x) => `${x.type}:${x.name ?? ''}`).join(',')}`,
  );
  const links = [
    ...new Set(page.links.map((l) => (l.href === page.url ? 'SELF' : pathPattern(l.href)))),
  ].sort();
  const parts = [
    pathPattern(page.url),
    String(Math.floor(page.status / 100)),
    mask(title),
    outline.join('|'),
    forms.join('|'),
    links.join(' '),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}
