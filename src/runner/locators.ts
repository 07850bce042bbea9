import type { Locator as PwLocator, Page } from 'playwright-core';
import { locatorKinds, type Locator } from '../domain/locator.ts';
import type { LocateOptions, StepContext } from './step-context.ts';

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
    (['label', 'placeholder', 'text', 'alt', 'title'] as const).some((k) => loc[k] !== undefined)
  );
}

/** Map a step locator to Playwright's user-facing locators (getByRole, getByLabel, …). */
export function toPlaywright(page: Page, loc: Locator): PwLocator {
  const exact = loc.exact !== undefined ? { exact: loc.exact } : {};
  const kind = locatorKinds.find((k) => loc[k] !== undefined) ?? 'css';
  let l: PwLocator;
  switch (kind) {
    case 'role':
      // The schema guarantees role is an ARIA role Playwright knows.
      l = page.getByRole(loc.role as NonNullable<Locator['role']>, {
        ...(loc.name !== undefined ? { name: loc.name } : {}),
        ...exact,
      });
      break;
    case 'label':
      l = page.getByLabel(loc.label ?? '', exact);
      break;
    case 'placeholder':
      l = page.getByPlaceholder(loc.placeholder ?? '', exact);
      break;
    case 'text':
      l = page.getByText(loc.text ?? '', exact);
      break;
    case 'alt':
      l = page.getByAltText(loc.alt ?? '', exact);
      break;
    case 'title':
      l = page.getByTitle(loc.title ?? '', exact);
      break;
    case 'testId':
      l = page.getByTestId(loc.testId ?? '');
      break;
    case 'xpath':
      l = page.locator(`xpath=${loc.xpath ?? ''}`);
      break;
    case 'css':
      // Also takes Playwright selector strings such as `text=Save` or `#id >> nth=1`.
      l = page.locator(loc.css ?? '');
      break;
  }
  if (loc.hasText !== undefined) l = l.filter({ hasText: loc.hasText });
  if (loc.nth !== undefined) l = loc.nth === -1 ? l.last() : l.nth(loc.nth);
  return l;
}
