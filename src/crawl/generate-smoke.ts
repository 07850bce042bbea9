import { generatedKey } from './generate-dedupe.ts';
import {
  clip,
  countOf,
  GENERATED_SUITE,
  mainHeading,
  relativePath,
  roleLocator,
  testablePages,
  type RawTest,
} from './generate-shared.ts';
import type { PageSnapshot, SiteMap } from './site-map.ts';

/** Form buttons a smoke test checks at most, so one busy page does not make a brittle test. */
const MAX_BUTTONS = 3;

/**
 * One smoke test per page: it answers with the status the crawl saw (an HTML page), loads, shows
 * its title and main heading, shows the buttons of its forms, and logged no console errors.
 */
export function smokeTests(site: SiteMap): RawTest[] {
  return testablePages(site).flatMap((page) => {
    const path = relativePath(page.url, site.origin);
    return path === null ? [] : [smokeTest(page, path)];
  });
}

function smokeTest(page: PageSnapshot, path: string): RawTest {
  const steps: Record<string, unknown>[] = [
    {
      request: {
        method: 'GET',
        url: path,
        expect: { status: page.status, headers: { 'content-type': { contains: 'text/html' } } },
      },
      name: `${path} answers ${page.status} with an HTML page`,
    },
    { goto: path },
  ];
  const title = page.title.trim();
  if (title !== '') steps.push({ expect: { title: { contains: title } } });
  const heading = mainHeading(page);
  if (heading !== undefined) {
    const n = countOf(
      page.headings.map((h) => h.text),
      heading,
    );
    steps.push({ expect: { visible: roleLocator('heading', heading, n) } });
  }
  const buttonTexts = page.buttons.filter((b) => b.role === 'button').map((b) => b.text);
  const submits = [
    ...new Set(page.forms.map((f) => f.submitText?.trim() ?? '').filter((t) => t !== '')),
  ];
  for (const text of submits.slice(0, MAX_BUTTONS)) {
    const n = Math.max(1, countOf(buttonTexts, text));
    steps.push({ expect: { visible: roleLocator('button', text, n) } });
  }
  // Last, so the check covers everything the page did while the other assertions waited.
  steps.push({ expect: { noConsoleErrors: true } });
  const subject = heading ?? (title || path);
  const consoleNote =
    page.consoleErrors.length === 0
      ? 'The page logged no console errors when it was crawled.'
      : `The page already logged ${page.consoleErrors.length} console error(s) when it was crawled, e.g. ${JSON.stringify(clip(page.consoleErrors[0] ?? '', 120))}: the last step fails until they are fixed or ignored.`;
  return {
    key: generatedKey('smoke', path),
    name: `Smoke: ${path} shows "${clip(subject)}"`,
    description: `Generated from a crawl of ${page.url}. ${consoleNote}`,
    suite: GENERATED_SUITE,
    tags: ['generated', 'smoke'],
    status: 'draft',
    steps,
  };
}
