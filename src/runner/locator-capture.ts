import type { Locator as PwLocator, Page } from 'playwright-core';
import { ariaRoles, describeLocator, type AriaRole, type Locator } from '../domain/locator.ts';
import type { LocatorAlternative } from '../domain/locator-memory.ts';
import { toPlaywright } from './locators.ts';

/** What the page tells about one element, read in one round trip. */
interface ElementFacts {
  tag: string;
  testId: string | null;
  name: string | null;
  placeholder: string | null;
  label: string | null;
  text: string;
  cssPath: string;
  idSelector: string | null;
}

// Longer texts are content, not a handle: they change with the copy and make poor locators.
const MAX_TEXT = 80;
// Roles that say nothing about what the element is for.
const vagueRoles = new Set(['generic', 'none', 'presentation', 'paragraph', 'group']);

/**
 * The other ways to find the one element `target` points at: role and accessible name, label,
 * placeholder, visible text, test id, id, name attribute and a short CSS path. Only those that
 * find exactly that element now are kept, and none equal to `original` (it is what may break).
 */
export async function captureAlternatives(
  page: Page,
  target: PwLocator,
  original: Locator,
  timeout: number,
): Promise<LocatorAlternative[]> {
  const handle = await target.elementHandle({ timeout });
  if (!handle) return [];
  try {
    const facts = await handle.evaluate(readFacts, MAX_TEXT);
    const aria = await target.ariaSnapshot({ timeout }).catch(() => '');
    const candidates = candidatesOf(facts, parseAriaRole(aria));
    const seen = new Set([describeLocator(original)]);
    const unique = candidates.filter((c) => {
      const d = describeLocator(c.locator);
      if (seen.has(d)) return false;
      seen.add(d);
      return true;
    });
    const checks = await Promise.all(
      unique.map(async (c) => {
        const l = toPlaywright(page, c.locator);
        if ((await l.count()) !== 1) return false;
        return l.evaluate((el, t) => el === t, handle, { timeout });
      }),
    );
    return unique.filter((_, i) => checks[i]);
  } finally {
    await handle.dispose().catch(() => undefined);
  }
}

function candidatesOf(
  f: ElementFacts,
  aria: { role: AriaRole; name: string } | null,
): LocatorAlternative[] {
  const out: LocatorAlternative[] = [];
  const add = (strategy: LocatorAlternative['strategy'], locator: Locator): void => {
    out.push({ strategy, locator });
  };
  if (f.testId) add('testId', { testId: f.testId });
  if (aria) add('role', { role: aria.role, name: aria.name, exact: true });
  if (f.label) add('label', { label: f.label, exact: true });
  if (f.placeholder) add('placeholder', { placeholder: f.placeholder, exact: true });
  if (f.text) add('text', { text: f.text, exact: true });
  if (f.idSelector) add('id', { css: f.idSelector });
  if (f.name) add('name', { css: `${f.tag}[name=${JSON.stringify(f.name)}]` });
  if (f.cssPath) add('css', { css: f.cssPath });
  return out;
}

/** Role and name from the first line of an ARIA snapshot, e.g. `- button "Buy now"`. */
export function parseAriaRole(snapshot: string): { role: AriaRole; name: string } | null {
  const m = /^- ([a-z]+) ("(?:[^"\\]|\\.)*")/.exec(snapshot);
  if (!m) return null;
  const role = m[1] as string;
  if (vagueRoles.has(role) || !(ariaRoles as readonly string[]).includes(role)) return null;
  try {
    const name = JSON.parse(m[2] as string) as unknown;
    return typeof name === 'string' && name.trim() !== '' ? { role: role as AriaRole, name } : null;
  } catch {
    return null;
  }
}

/** Runs in the page: plain DOM reads, no closures over Node values. */
function readFacts(el: Element, maxText: number): ElementFacts {
  const clean = (s: string | null | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
  const tag = el.tagName.toLowerCase();
  const isField = tag === 'input' || tag === 'textarea' || tag === 'select';
  const labels = 'labels' in el ? (el as HTMLInputElement).labels : null;
  const label = clean(labels?.[0]?.textContent) || clean(el.getAttribute('aria-label'));
  const text = isField ? '' : clean((el as HTMLElement).innerText ?? el.textContent);
  // A short path of tags and positions up to the nearest ancestor with an id (or four levels).
  const parts: string[] = [];
  let node: Element | null = el;
  while (node && parts.length < 4) {
    const parent: Element | null = node.parentElement;
    if (node !== el && node.id) {
      parts.unshift(`#${CSS.escape(node.id)}`);
      break;
    }
    const t = node.tagName.toLowerCase();
    if (t === 'html' || t === 'body') {
      parts.unshift(t);
      break;
    }
    const same = parent ? [...parent.children].filter((c) => c.tagName === node?.tagName) : [];
    parts.unshift(same.length > 1 ? `${t}:nth-of-type(${same.indexOf(node) + 1})` : t);
    node = parent;
  }
  return {
    tag,
    testId: el.getAttribute('data-testid'),
    name: el.getAttribute('name'),
    placeholder: el.getAttribute('placeholder'),
    label: label || null,
    text: text.length <= maxText ? text : '',
    cssPath: parts.join(' > '),
    idSelector: el.id ? `#${CSS.escape(el.id)}` : null,
  };
}
