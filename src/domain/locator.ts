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
export type LocatorKind = (typeof locatorKinds)[number];

export const locatorObjectSchema = z
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
    /** Pick the n-th match (0-based; -1 is the last). */
    nth: z.number().int().optional(),
    /** Narrow to elements that contain this text. */
    hasText: z.string().optional(),
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
export const locatorSchema = z.union([
  z
    .string()
    .min(1)
    .transform((css) => ({ css })),
  locatorObjectSchema,
]);

export type Locator = z.output<typeof locatorObjectSchema>;

/** Human-readable form of a locator for logs and results, e.g. `role=button[name="Save"]`. */
export function describeLocator(loc: Locator): string {
  const kind = locatorKinds.find((k) => loc[k] !== undefined) ?? 'css';
  let out =
    kind === 'role'
      ? `role=${loc.role}${loc.name !== undefined ? `[name=${JSON.stringify(loc.name)}]` : ''}`
      : `${kind}=${JSON.stringify(loc[kind])}`;
  if (loc.hasText !== undefined) out += ` >> hasText=${JSON.stringify(loc.hasText)}`;
  if (loc.nth !== undefined) out += ` >> nth=${loc.nth}`;
  return out;
}
