import type { Locator as PwLocator, Page } from 'playwright-core';
import { locatorKinds, nestedLocators, type Locator } from '../domain/locator.ts';
import type { LocateOptions, StepContext } from './step-context.ts';
import { defined } from '../domain/defined.ts';

/** A step's locator through the step's resolver (which may heal it), else as written. */
export function locate(
  ctx: Pick<StepContext, 'page' | 'locate' | 'timeout'>,
  loc: Locator,
  opts: LocateOptions = {},
): Promise<PwLocator> {
  return ctx.locate
    ? ctx.locate(loc, ctx.timeout, opts)
    : Promise.resolve(toPlaywright(ctx.page, loc));
}

/**
 * True when the locator itself states content a user sees (a name, label, text, …). An
 * expectation such as `visible: {role: button, name: Sign in}` asserts that content: healing it
 * to the button now labelled "Log in" would turn a caught regression into a pass, so such
 * expectations are never healed. Structural locators (css, xpath, test id) may be.
 */
export function statesContent(loc: Locator): boolean {
  return (
    loc.name !== undefined ||
    loc.hasText !== undefined ||
    loc.hasNotText !== undefined ||
    (['label', 'placeholder', 'text', 'alt', 'title'] as const).some((k) => loc[k] !== undefined) ||
    nestedLocators(loc).some(statesContent)
  );
}

/** What a locator is looked up in: the page, or the element(s) of an outer locator. */
type Root = Page | PwLocator;

/**
 * Map a step locator to Playwright's user-facing locators (getByRole, getByLabel, …): `within`
 * chains (outer.getByRole…), then one filter with hasText/hasNotText/has/hasNot, then nth.
 */
export function toPlaywright(page: Page, loc: Locator): PwLocator {
  const root: Root = loc.within ? toPlaywright(page, loc.within) : page;
  let l = base(root, loc);
  const filter = {
    ...defined({ hasText: loc.hasText, hasNotText: loc.hasNotText }),
    ...(loc.has ? { has: toPlaywright(page, loc.has) } : {}),
    ...(loc.hasNot ? { hasNot: toPlaywright(page, loc.hasNot) } : {}),
  };
  if (Object.keys(filter).length > 0) l = l.filter(filter);
  if (loc.nth !== undefined) l = loc.nth === -1 ? l.last() : l.nth(loc.nth);
  return l;
}

function base(root: Root, loc: Locator): PwLocator {
  const exact = loc.exact !== undefined ? { exact: loc.exact } : {};
  const kind = locatorKinds.find((k) => loc[k] !== undefined) ?? 'css';
  // Page and Locator share these methods; the union only needs one call site each.
  const r = root as PwLocator;
  let l: PwLocator;
  switch (kind) {
    case 'role':
      // The schema guarantees role is an ARIA role Playwright knows.
      l = r.getByRole(loc.role as NonNullable<Locator['role']>, {
        ...defined({ name: loc.name }),
        ...exact,
      });
      break;
    case 'label':
      l = r.getByLabel(loc.label ?? '', exact);
      break;
    case 'placeholder':
      l = r.getByPlaceholder(loc.placeholder ?? '', exact);
      break;
    case 'text':
      l = r.getByText(loc.text ?? '', exact);
      break;
    case 'alt':
      l = r.getByAltText(loc.alt ?? '', exact);
      break;
    case 'title':
      l = r.getByTitle(loc.title ?? '', exact);
      break;
    case 'testId':
      l = r.getByTestId(loc.testId ?? '');
      break;
    case 'xpath':
      l = r.locator(`xpath=${loc.xpath ?? ''}`);
      break;
    case 'css':
      // Also takes Playwright selector strings such as `text=Save` or `#id >> nth=1`.
      l = r.locator(loc.css ?? '');
      break;
  }
  return l;
}
