import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/crawl/fingerprint.ts';
import { looksLikeFile, normalizeUrl, pathOf, pathPattern } from '../../src/crawl/normalize-url.ts';
import { isDestructive, jsonShape } from '../../src/crawl/page-snapshot.ts';
import { isAllowed, matches, parseRobots } from '../../src/crawl/robots.ts';
import { parseSitemap } from '../../src/crawl/sitemap-xml.ts';

describe('normalizeUrl', () => {
  it.each([
    ['http://Example.COM:80/a/b/#top', 'http://example.com/a/b'],
    ['https://example.com', 'https://example.com/'],
    ['https://example.com/?', 'https://example.com/'],
    ['https://example.com/p?b=2&a=1&a=0', 'https://example.com/p?a=0&a=1&b=2'],
    [
      'https://example.com/p?utm_source=x&id=3&gclid=y&fbclid=z&UTM_MEDIUM=m',
      'https://example.com/p?id=3',
    ],
    ['https://user:pw@example.com:443/x//', 'https://example.com/x'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeUrl(raw)).toBe(expected);
  });

  it('resolves relative links against a base and refuses non-http schemes', () => {
    expect(normalizeUrl('../c?q=1#f', 'http://h.test/a/b/')).toBe('http://h.test/a/c?q=1');
    expect(normalizeUrl('mailto:a@b.c')).toBeNull();
    expect(normalizeUrl('javascript:void(0)', 'http://h.test/')).toBeNull();
    expect(normalizeUrl('http://[bad')).toBeNull();
  });

  it('path helpers', () => {
    expect(pathOf('http://h.test/a?b=1')).toBe('/a?b=1');
    expect(pathPattern('http://h.test/products/paper-planner')).toBe('/products/*');
    expect(pathPattern('http://h.test/u/42/posts?page=3&x=1')).toBe('/u/:id/*?page&x');
    expect(pathPattern('http://h.test/contact')).toBe('/contact');
    expect(pathPattern('http://h.test/123')).toBe('/:id');
    expect(looksLikeFile('http://h.test/report.PDF')).toBe(true);
    expect(looksLikeFile('http://h.test/report')).toBe(false);
  });
});

describe('robots.txt', () => {
  const text = `
# comment
User-agent: *
Disallow: /private
Allow: /private/open
Disallow: /*.json$
Sitemap: http://h.test/sm.xml

User-agent: OtherBot
Disallow: /
`;
  it('applies the * group: longest match wins, Allow wins ties, wildcards and $', () => {
    const r = parseRobots(text);
    expect(r.sitemaps).toEqual(['http://h.test/sm.xml']);
    expect(isAllowed(r, '/')).toBe(true);
    expect(isAllowed(r, '/private')).toBe(false);
    expect(isAllowed(r, '/private/x')).toBe(false);
    expect(isAllowed(r, '/private/open/1')).toBe(true);
    expect(isAllowed(r, '/data.json')).toBe(false);
    expect(isAllowed(r, '/data.json?x=1')).toBe(true);
    expect(isAllowed(parseRobots('User-agent: *\nDisallow: /a\nAllow: /a'), '/a')).toBe(true);
  });

  it('matches wildcard patterns exactly and in linear time, whatever the site writes', () => {
    const cases: [string, string, boolean][] = [
      ['/a*b', '/axxb', true],
      ['/a*b', '/axxbyy', true],
      ['/a*b$', '/axxbyy', false],
      ['/a*b$', '/axxbyyb', true],
      ['/*.php$', '/x/y.php', true],
      ['/*.php$', '/x/y.php?z', false],
      ['/fish*', '/fish.html', true],
      ['/fish*', '/Fish.html', false],
      ['/*a*a*b$', '/aab', true],
      ['/*a*a*b$', '/ab', false],
      ['/x$', '/x', true],
      ['/x$', '/xy', false],
      ['/%7Euser', '/~user/page', true],
    ];
    for (const [pattern, path, want] of cases) {
      expect([pattern, path, matches(pattern, path)]).toEqual([pattern, path, want]);
    }
    // The ReDoS shape from a hostile robots.txt: the backtracking regex this matcher replaced
    // would not finish within the test's timeout on it; linear matching answers at once.
    const hostile = parseRobots(`User-agent: *\nDisallow: /${'*a'.repeat(40)}*b$\n`);
    expect(isAllowed(hostile, `/${'a'.repeat(50_000)}`)).toBe(true);
  });

  it('prefers a Greenlight group over *, and an empty Disallow allows all', () => {
    const r = parseRobots('User-agent: *\nDisallow: /\n\nUser-agent: Greenlight\nDisallow:\n');
    expect(isAllowed(r, '/anything')).toBe(true);
    expect(isAllowed(parseRobots('User-agent: *\nDisallow: /\n'), '/anything')).toBe(false);
    expect(isAllowed(parseRobots(''), '/x')).toBe(true);
  });
});

describe('sitemap.xml', () => {
  it('reads url and sitemap locs, entities and CDATA', () => {
    const xml = `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://h.test/a?x=1&amp;y=2</loc><lastmod>2024-01-01</lastmod></url>
      <url><loc><![CDATA[http://h.test/b]]></loc></url></urlset>`;
    expect(parseSitemap(xml)).toEqual({
      urls: ['http://h.test/a?x=1&y=2', 'http://h.test/b'],
      sitemaps: [],
    });
    expect(
      parseSitemap(
        '<sitemapindex><sitemap><loc> http://h.test/s1.xml </loc></sitemap></sitemapindex>',
      ).sitemaps,
    ).toEqual(['http://h.test/s1.xml']);
  });

  it('reads a hostile or broken sitemap in linear time and gives what it can', () => {
    // Thousands of unclosed <url> made the old regex scan quadratic on the event loop.
    const hostile = '<urlset>' + '<url><loc>http://h.test/x'.repeat(20_000);
    expect(parseSitemap(hostile)).toEqual({ urls: [], sitemaps: [] });
    expect(parseSitemap('not xml at all <<<')).toEqual({ urls: [], sitemaps: [] });
    const many = `<urlset>${'<url><loc>http://h.test/p</loc></url>'.repeat(50)}</urlset>`;
    expect(parseSitemap(many, 10).urls).toHaveLength(10);
    expect(
      parseSitemap(
        '<ns:urlset xmlns:ns="x"><ns:url><ns:loc>http://h.test/n</ns:loc></ns:url></ns:urlset>',
      ).urls,
    ).toEqual(['http://h.test/n']);
  });
});

describe('destructive forms and JSON shapes', () => {
  it.each([
    ['Delete account', '/settings', true],
    ['Pay now', '/checkout', true],
    ['Save', '/account/delete', true],
    ['Unsubscribe', '/mail', true],
    ['Cancel account', '/me', true],
    ['Sign in', '/api/login', false],
    ['Send message', '/contact', false],
    ['Add', '/app', false],
  ])('%s (%s) → %s', (text, action, expected) => {
    expect(isDestructive(text, `http://h.test${action}`)).toBe(expected);
  });

  it('describes keys and value types, depth-limited', () => {
    expect(
      jsonShape({
        items: [{ id: 1, tags: ['a'], deep: { x: { y: 1 } } }],
        total: 2,
        next: null,
        ok: true,
      }),
    ).toEqual({
      items: [{ id: 'number', tags: 'array', deep: 'object' }],
      total: 'number',
      next: 'null',
      ok: 'boolean',
    });
    expect(jsonShape([])).toEqual([]);
  });
});

describe('fingerprint', () => {
  const page = (n: number, extra = '') => ({
    url: `http://h.test/items/${n}`,
    status: 200,
    title: `Item ${n}${extra} · Shop`,
    headings: [
      { level: 1, text: `Item ${n}${extra}` },
      { level: 2, text: 'Details' },
    ],
    forms: [],
    links: [
      { href: 'http://h.test/', text: 'Home' },
      { href: `http://h.test/items/${n}`, text: 'self' },
      { href: `http://h.test/items/${n + 1}`, text: 'next' },
    ],
  });
  it('is equal for pages of one template and differs when the structure differs', () => {
    expect(fingerprint(page(1))).toBe(fingerprint(page(2)));
    expect(fingerprint(page(1))).toBe(fingerprint(page(7, ' deluxe')));
    const withForm = {
      ...page(3),
      forms: [{ action: 'http://h.test/cart', method: 'POST', fields: [], destructive: false }],
    };
    expect(fingerprint(withForm)).not.toBe(fingerprint(page(3)));
    expect(fingerprint({ ...page(1), url: 'http://h.test/other/1' })).not.toBe(
      fingerprint(page(1)),
    );
    expect(fingerprint({ ...page(1), status: 404 })).not.toBe(fingerprint(page(1)));
  });
});
