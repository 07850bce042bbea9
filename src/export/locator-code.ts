import { locatorKinds, type Locator } from '../domain/locator.ts';
import { options, quote, str } from './codegen.ts';

/**
 * Playwright code for a locator: `page.getByRole('button', { name: 'Save' })`; a `within` chain
 * starts from its outer locator, filters go in one `.filter({ … })`, then `nth`/`first`/`last`.
 */
export function locatorCode(loc: Locator): string {
  const root = loc.within ? locatorCode(loc.within) : 'page';
  const exact = loc.exact !== undefined ? String(loc.exact) : undefined;
  const kind = locatorKinds.find((k) => loc[k] !== undefined) ?? 'css';
  const v = str(String(loc[kind] ?? ''));
  let code: string;
  if (kind === 'role') {
    const o = options({ name: loc.name !== undefined ? str(loc.name) : undefined, exact });
    code = `${root}.getByRole(${quote(loc.role ?? '')}${o ? `, ${o}` : ''})`;
  } else if (kind === 'css') code = `${root}.locator(${v})`;
  else if (kind === 'xpath') code = `${root}.locator(${str(`xpath=${loc.xpath ?? ''}`)})`;
  else if (kind === 'testId') code = `${root}.getByTestId(${v})`;
  else {
    const fn = {
      label: 'getByLabel',
      placeholder: 'getByPlaceholder',
      text: 'getByText',
      alt: 'getByAltText',
      title: 'getByTitle',
    }[kind];
    const o = options({ exact });
    code = `${root}.${fn}(${v}${o ? `, ${o}` : ''})`;
  }
  const filter = options({
    hasText: loc.hasText !== undefined ? str(loc.hasText) : undefined,
    hasNotText: loc.hasNotText !== undefined ? str(loc.hasNotText) : undefined,
    has: loc.has ? locatorCode(loc.has) : undefined,
    hasNot: loc.hasNot ? locatorCode(loc.hasNot) : undefined,
  });
  if (filter) code += `.filter(${filter})`;
  if (loc.nth !== undefined) {
    code += loc.nth === -1 ? '.last()' : loc.nth === 0 ? '.first()' : `.nth(${loc.nth})`;
  }
  return code;
}
