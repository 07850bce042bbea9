/**
 * What the crawler reads from a rendered page. `extractPage` runs INSIDE the browser (Playwright
 * serialises its source), so it must stay self-contained: no imports, no outer variables.
 * Everything the page returns is untrusted and is re-checked by `toPageParts` in Node.
 */
import { z } from 'zod';
import type {
  ButtonSnapshot,
  FormSnapshot,
  HeadingSnapshot,
  InputSnapshot,
  JsonShape,
  LinkSnapshot,
} from './site-map.ts';

/** Caps per page, so one enormous page cannot blow up a site map. */
export const PAGE_LIMITS = { links: 500, headings: 50, forms: 20, buttons: 60, inputs: 100 };

/** Runs in the page: title, headings, links, nav links, forms, buttons and labelled inputs. */
export function extractPage(limits: typeof PAGE_LIMITS): unknown {
  const clean = (s: string | null | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
  const visible = (el: Element): boolean => {
    const check = (el as Element & { checkVisibility?: () => boolean }).checkVisibility;
    return check ? check.call(el) : true;
  };
  const byIds = (ids: string | null): string =>
    clean(
      (ids ?? '')
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' '),
    );
  const labelOf = (el: Element): string => {
    const aria = clean(el.getAttribute('aria-label')) || byIds(el.getAttribute('aria-labelledby'));
    if (aria) return aria;
    const labels = (el as HTMLInputElement).labels;
    if (labels && labels.length) return clean([...labels].map((l) => l.textContent).join(' '));
    return '';
  };
  const textOf = (el: Element): string =>
    clean((el as HTMLElement).innerText || el.textContent) || clean(el.getAttribute('aria-label'));

  const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
    .filter(visible)
    .map((h) => ({ level: Number(h.tagName.slice(1)), text: textOf(h) }))
    .filter((h) => h.text)
    .slice(0, limits.headings);

  const anchors = [...document.querySelectorAll('a[href]')] as HTMLAnchorElement[];
  const links = anchors
    .map((a) => ({ href: a.href, raw: a.getAttribute('href') ?? '', text: textOf(a) }))
    .slice(0, limits.links);
  const navLinks = anchors
    .filter((a) => {
      const nav = a.closest('nav,header,[role=navigation]');
      return nav !== null && !/breadcrumb/i.test(nav.getAttribute('aria-label') ?? '');
    })
    .map((a) => ({ href: a.href, raw: a.getAttribute('href') ?? '', text: textOf(a) }))
    .slice(0, limits.links);

  const fieldSelector = 'input,select,textarea';
  const skipTypes = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const fieldOf = (el: Element) => {
    const input = el as HTMLInputElement;
    const tag = el.tagName.toLowerCase();
    const type = tag === 'input' ? (input.type || 'text').toLowerCase() : tag;
    return {
      label: labelOf(el) || undefined,
      name: input.name || undefined,
      type,
      placeholder: clean(input.placeholder) || undefined,
      required: input.required === true || el.getAttribute('aria-required') === 'true',
      options:
        tag === 'select'
          ? [...(el as HTMLSelectElement).options].map((o) => clean(o.textContent)).filter(Boolean)
          : undefined,
    };
  };
  const isField = (el: Element): boolean =>
    !skipTypes.has(((el as HTMLInputElement).type || '').toLowerCase()) ||
    el.tagName.toLowerCase() !== 'input';

  const forms = ([...document.querySelectorAll('form')] as HTMLFormElement[])
    .slice(0, limits.forms)
    .map((form) => {
      const fields: ReturnType<typeof fieldOf>[] = [];
      const radios = new Map<string, ReturnType<typeof fieldOf>>();
      for (const el of form.querySelectorAll(fieldSelector)) {
        if (!isField(el)) continue;
        const f = fieldOf(el);
        if (f.type === 'radio' && f.name) {
          // A radio group is one field whose options are its buttons' labels.
          const group = radios.get(f.name);
          if (group) {
            group.options?.push(f.label ?? '');
            group.required ||= f.required;
            continue;
          }
          const fieldset = el.closest('fieldset')?.querySelector('legend');
          const groupField = {
            ...f,
            label: clean(fieldset?.textContent) || f.name,
            options: [f.label ?? ''],
          };
          radios.set(f.name, groupField);
          fields.push(groupField);
          continue;
        }
        fields.push(f);
      }
      const submit = form.querySelector(
        'button[type=submit],button:not([type]),input[type=submit]',
      ) as HTMLButtonElement | HTMLInputElement | null;
      const submitText = submit
        ? clean(submit instanceof HTMLInputElement ? submit.value : textOf(submit)) ||
          clean(submit.getAttribute('aria-label'))
        : '';
      return {
        action: form.action || location.href,
        method: (form.getAttribute('method') || 'get').toUpperCase(),
        fields,
        submitText: submitText || undefined,
        label: clean(form.getAttribute('aria-label')) || clean(form.id) || '',
      };
    });

  const buttons = [
    ...document.querySelectorAll(
      'button,[role=button],input[type=submit],input[type=button],input[type=reset]',
    ),
  ]
    .filter(visible)
    .map((b) => ({
      text: b instanceof HTMLInputElement ? clean(b.value) || labelOf(b) : textOf(b) || labelOf(b),
      role: 'button',
      testId: b.getAttribute('data-testid') ?? undefined,
    }))
    .filter((b) => b.text)
    .slice(0, limits.buttons);

  const inputs = [...document.querySelectorAll(fieldSelector)]
    .filter((el) => isField(el) && visible(el))
    .map((el) => {
      const f = fieldOf(el);
      return {
        label: f.label,
        name: f.name,
        type: f.type,
        placeholder: f.placeholder,
        required: f.required,
      };
    })
    .slice(0, limits.inputs);

  return { title: clean(document.title), headings, links, navLinks, forms, buttons, inputs };
}

const optText = z.string().max(2000).optional();
const rawLink = z.object({
  href: z.string().max(4000),
  raw: z.string().max(4000),
  text: z.string().max(2000),
});
const rawField = z.object({
  label: optText,
  name: optText,
  type: z.string().max(50),
  placeholder: optText,
  required: z.boolean(),
  options: z.array(z.string().max(2000)).max(500).optional(),
});
/** The shape `extractPage` must return; anything else from a page is rejected. */
const rawPage = z.object({
  title: z.string().max(2000),
  headings: z.array(
    z.object({ level: z.number().int().min(1).max(6), text: z.string().max(2000) }),
  ),
  links: z.array(rawLink),
  navLinks: z.array(rawLink),
  forms: z.array(
    z.object({
      action: z.string().max(4000),
      method: z.string().max(20),
      fields: z.array(rawField),
      submitText: optText,
      label: z.string().max(2000),
    }),
  ),
  buttons: z.array(
    z.object({ text: z.string().max(2000), role: z.string().max(50), testId: optText }),
  ),
  inputs: z.array(rawField.omit({ options: true })),
});

export interface PageParts {
  title: string;
  headings: HeadingSnapshot[];
  links: LinkSnapshot[];
  navLinks: LinkSnapshot[];
  forms: FormSnapshot[];
  buttons: ButtonSnapshot[];
  inputs: InputSnapshot[];
}

/**
 * Submitting these looks irreversible or costs money; generators must never submit them by
 * default. Matched against the submit text, the form's label and its action URL.
 */
const DESTRUCTIVE =
  /\b(delete|remove|destroy|erase|wipe|purge|pay|payment|purchase|buy|order now|place order|checkout|check out|unsubscribe|deactivate|terminate|close account|cancel (account|subscription|membership|order|plan))\b|\/(delete|remove|destroy|pay|purchase|checkout|unsubscribe)\b/i;

/** True when a form's submit text, label or action looks destructive (delete, pay, …). */
export function isDestructive(submitText: string | undefined, action: string, label = ''): boolean {
  let actionPath = action;
  try {
    actionPath = new URL(action).pathname;
  } catch {
    // A relative or odd action is matched as written.
  }
  return DESTRUCTIVE.test(`${submitText ?? ''} ${label}`) || DESTRUCTIVE.test(actionPath);
}

/**
 * Validate what the page returned and shape it into the site-map types. `normalize` maps a link
 * href to its canonical form or null (not http, not a page).
 */
export function toPageParts(
  raw: unknown,
  pageUrl: string,
  normalize: (href: string) => string | null,
): PageParts {
  const page = rawPage.parse(raw);
  const toLinks = (list: z.infer<typeof rawLink>[]): LinkSnapshot[] => {
    const seen = new Set<string>();
    const out: LinkSnapshot[] = [];
    for (const l of list) {
      const href = normalize(l.href);
      // A fragment-only link ("#main") points at the page itself: not a link to follow or test.
      if (!href || seen.has(href) || (l.raw.startsWith('#') && href === pageUrl)) continue;
      seen.add(href);
      out.push({ href, text: l.text });
    }
    return out;
  };
  const dropUndefined = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return {
    title: page.title,
    headings: page.headings,
    links: toLinks(page.links),
    navLinks: toLinks(page.navLinks),
    forms: page.forms.map((f) =>
      dropUndefined({
        action: f.action,
        method: f.method === 'POST' ? 'POST' : 'GET',
        fields: f.fields.map((x) => dropUndefined({ ...x, required: x.required })),
        submitText: f.submitText,
        destructive: isDestructive(f.submitText, f.action, f.label),
      }),
    ),
    buttons: uniqueBy(page.buttons, (b) => `${b.text}\u0000${b.testId ?? ''}`).map((b) =>
      dropUndefined(b),
    ),
    inputs: page.inputs.map((i) => dropUndefined(i)),
  };
}

function uniqueBy<T>(list: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((t) => !seen.has(key(t)) && seen.add(key(t)) !== undefined);
}

/**
 * The structure of a JSON value: keys and value types, depth-limited (deeper objects and arrays
 * are 'object' / 'array'), arrays described by their first element, at most 50 keys an object.
 */
export function jsonShape(value: unknown, depth = 3): JsonShape {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (depth <= 0) return 'array';
    return value.length ? [jsonShape(value[0], depth - 1)] : [];
  }
  if (typeof value === 'object') {
    if (depth <= 0) return 'object';
    const out: Record<string, JsonShape> = {};
    for (const [k, v] of Object.entries(value).slice(0, 50)) out[k] = jsonShape(v, depth - 1);
    return out;
  }
  return typeof value === 'number' || typeof value === 'boolean' ? typeof value : 'string';
}
