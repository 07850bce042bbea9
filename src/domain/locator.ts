import { z } from 'zod';

/** ARIA roles accepted by `role` locators (Playwright's getByRole list). */
export const ariaRoles = [
  'alert',
  'alertdialog',
  'application',
  'article',
  'banner',
  'blockquote',
  'button',
  'caption',
  'cell',
  'checkbox',
  'code',
  'columnheader',
  'combobox',
  'complementary',
  'contentinfo',
  'definition',
  'deletion',
  'dialog',
  'directory',
  'document',
  'emphasis',
  'feed',
  'figure',
  'form',
  'generic',
  'grid',
  'gridcell',
  'group',
  'heading',
  'img',
  'insertion',
  'link',
  'list',
  'listbox',
  'listitem',
  'log',
  'main',
  'marquee',
  'math',
  'meter',
  'menu',
  'menubar',
  'menuitem',
  'menuitemcheckbox',
  'menuitemradio',
  'navigation',
  'none',
  'note',
  'option',
  'paragraph',
  'presentation',
  'progressbar',
  'radio',
  'radiogroup',
  'region',
  'row',
  'rowgroup',
  'rowheader',
  'scrollbar',
  'search',
  'searchbox',
  'separator',
  'slider',
  'spinbutton',
  'status',
  'strong',
  'subscript',
  'superscript',
  'switch',
  'tab',
  'table',
  'tablist',
  'tabpanel',
  'term',
  'textbox',
  'time',
  'timer',
  'toolbar',
  'tooltip',
  'tree',
  'treegrid',
  'treeitem',
] as const;
export type AriaRole = (typeof ariaRoles)[number];

/** The ways to find an element, in the order the runner tries the keys (first present wins). */
export const locatorKinds = [
  'role',
  'label',
  'placeholder',
  'text',
  'alt',
  'title',
  'testId',
  'css',
  'xpath',
] as const;

/** A parsed locator. `within`, `has` and `hasNot` hold further locators (chains and filters). */
export interface Locator {
  role?: AriaRole;
  name?: string;
  label?: string;
  placeholder?: string;
  text?: string;
  alt?: string;
  title?: string;
  testId?: string;
  css?: string;
  xpath?: string;
  exact?: boolean;
  /** 0-based; -1 is the last (`first`/`last` are read as 0/-1). */
  nth?: number;
  hasText?: string;
  hasNotText?: string;
  has?: Locator;
  hasNot?: Locator;
  within?: Locator;
}

/** A locator as written: a selector string, or an object whose nested locators may be strings too. */
export type LocatorInput =
  | string
  | (Omit<Locator, 'nth' | 'has' | 'hasNot' | 'within'> & {
      nth?: number | 'first' | 'last';
      has?: LocatorInput;
      hasNot?: LocatorInput;
      within?: LocatorInput;
    });

// Nested locators refer back to the whole schema; z.lazy defers that until it is used.
const nestedLocator = z.lazy((): z.ZodType<Locator, LocatorInput> => locatorSchema);

const locatorObjectSchema = z
  .strictObject({
    role: z.enum(ariaRoles).optional(),
    /** Accessible name, only with `role`. */
    name: z.string().optional(),
    label: z.string().optional(),
    placeholder: z.string().optional(),
    text: z.string().optional(),
    alt: z.string().optional(),
    title: z.string().optional(),
    testId: z.string().optional(),
    css: z.string().optional(),
    xpath: z.string().optional(),
    /** Exact (case-sensitive, whole-string) match for name/label/placeholder/text/alt/title. */
    exact: z.boolean().optional(),
    /** Pick the n-th match (0-based; -1 or `last` is the last, `first` is 0). */
    nth: z
      .union([z.number().int(), z.enum(['first', 'last'])])
      .transform((n) => (n === 'first' ? 0 : n === 'last' ? -1 : n))
      .optional(),
    /** Keep elements that contain this text somewhere inside (filter({ hasText })). */
    hasText: z.string().optional(),
    /** Keep elements that do not contain this text (filter({ hasNotText })). */
    hasNotText: z.string().optional(),
    /** Keep elements that contain an element this locator finds (filter({ has })). */
    has: nestedLocator.optional(),
    /** Keep elements that contain no element this locator finds (filter({ hasNot })). */
    hasNot: nestedLocator.optional(),
    /** Look only inside the element(s) this locator finds (outer.locator(inner)). */
    within: nestedLocator.optional(),
  })
  .superRefine((loc, ctx) => {
    const kinds = locatorKinds.filter((k) => loc[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? `a locator needs one of: ${locatorKinds.join(', ')}`
            : `a locator takes exactly one of ${locatorKinds.join(', ')}; found ${kinds.join(' and ')}`,
      });
    }
    if (loc.name !== undefined && loc.role === undefined) {
      ctx.addIssue({ code: 'custom', message: '`name` is only valid together with `role`' });
    }
  });

/** A locator: an object such as `{ role: button, name: Save }`, or a CSS/Playwright selector string. */
export const locatorSchema: z.ZodType<Locator, LocatorInput> = z
  .union([
    z
      .string()
      .min(1)
      .transform((css): Locator => ({ css })),
    locatorObjectSchema,
  ])
  // Named so the published JSON Schema refers to one `Locator` definition.
  .meta({ id: 'Locator' });

/**
 * Human-readable form of a locator for logs and results, e.g. `role=button[name="Save"]`;
 * chains read outside-in like Playwright's: `testId="cart" >> role=row >> has(text="Paid")`.
 */
export function describeLocator(loc: Locator): string {
  const kind = locatorKinds.find((k) => loc[k] !== undefined) ?? 'css';
  let out =
    kind === 'role'
      ? `role=${loc.role}${loc.name !== undefined ? `[name=${JSON.stringify(loc.name)}]` : ''}`
      : `${kind}=${JSON.stringify(loc[kind])}`;
  if (loc.within !== undefined) out = `${describeLocator(loc.within)} >> ${out}`;
  if (loc.hasText !== undefined) out += ` >> hasText=${JSON.stringify(loc.hasText)}`;
  if (loc.hasNotText !== undefined) out += ` >> hasNotText=${JSON.stringify(loc.hasNotText)}`;
  if (loc.has !== undefined) out += ` >> has(${describeLocator(loc.has)})`;
  if (loc.hasNot !== undefined) out += ` >> hasNot(${describeLocator(loc.hasNot)})`;
  if (loc.nth !== undefined) out += ` >> nth=${loc.nth}`;
  return out;
}

/** The locator found inside `container`: its outermost `within` is scoped there (a within block). */
export function scopeLocator(loc: Locator, container: Locator): Locator {
  return { ...loc, within: loc.within ? scopeLocator(loc.within, container) : container };
}

/** The locators nested in this one (its scope and filters), for checks that look at each. */
export function nestedLocators(loc: Locator): Locator[] {
  return [loc.within, loc.has, loc.hasNot].filter((l): l is Locator => l !== undefined);
}
