import type { Locator } from '../domain/locator.ts';
import { generatedKey } from './generate-dedupe.ts';
import {
  clip,
  countOf,
  ERROR_MESSAGE,
  GENERATED_SUITE,
  relativePath,
  roleLocator,
  testablePages,
  urlStartsWithPath,
  VALIDATION_MESSAGE,
  type GenerateOptions,
  type RawTest,
} from './generate-shared.ts';
import type { FormFieldSnapshot, FormSnapshot, PageSnapshot, SiteMap } from './site-map.ts';

/** Field types a user types into; the rest are clicked, chosen or skipped. */
const TYPED = new Set(['text', 'email', 'search', 'tel', 'url', 'number', 'textarea', 'date']);
const IGNORED = new Set(['hidden', 'submit', 'button', 'reset', 'image', 'file']);

/**
 * Forms whose submission is harmless by purpose: a search, a message to the site's team, a
 * newsletter. A form that signs in, creates accounts or spends money is never sent with made-up
 * data, even when the crawler did not flag it destructive.
 */
const SAFE_PURPOSE =
  /\b(search|find|filter|contact|send|message|feedback|subscribe|newsletter|ask|enquir|inquir)/i;

/** Form tests: empty submission shows validation; safe forms submit with valid data. */
export function formTests(site: SiteMap, opts: GenerateOptions = {}): RawTest[] {
  const out: RawTest[] = [];
  const seen = new Set<string>();
  for (const page of testablePages(site)) {
    const path = relativePath(page.url, site.origin);
    if (path === null) continue;
    const pageButtons = page.buttons.filter((b) => b.role === 'button').map((b) => b.text);
    page.forms.forEach((form, index) => {
      // A form in the page chrome (a header search) appears on every page: test it once.
      const signature = JSON.stringify([form.action, form.method, form.fields, form.submitText]);
      const submitText = form.submitText?.trim() ?? '';
      if (seen.has(signature) || submitText === '') return;
      seen.add(signature);
      const subject = `${path}#${index + 1}`;
      const submit = roleLocator(
        'button',
        submitText,
        Math.max(1, countOf(pageButtons, submitText)),
      );
      if (expectsInput(form)) out.push(validationTest(page, path, subject, form, submit));
      const submitIt =
        opts.submitSafeForms !== false &&
        (form.destructive ? opts.submitDestructiveForms === true : isSafe(form));
      if (submitIt) {
        const test = submissionTest(page, path, subject, form, submit, site.origin);
        if (test) out.push(test);
      }
    });
  }
  return out;
}

/**
 * Whether an empty submission must be refused: a field is required, or the form asks for an
 * address or a secret (sign-in, contact), which no site accepts empty even without `required`.
 */
function expectsInput(form: FormSnapshot): boolean {
  const fields = form.fields.filter((f) => !IGNORED.has(f.type));
  return fields.some((f) => f.required || f.type === 'email' || f.type === 'password');
}

function isSafe(form: FormSnapshot): boolean {
  if (form.destructive) return false;
  if (form.fields.some((f) => f.type === 'password')) return false;
  if (form.fields.some((f) => f.type === 'file' && f.required)) return false;
  if (form.method.toUpperCase() === 'GET' || form.fields.some((f) => f.type === 'search')) {
    return true;
  }
  // The button and the target say what a form is for; field names ("message", "name") do not.
  return SAFE_PURPOSE.test(`${form.submitText ?? ''} ${form.action}`);
}

function validationTest(
  page: PageSnapshot,
  path: string,
  subject: string,
  form: FormSnapshot,
  submit: Locator,
): RawTest {
  const text = form.submitText?.trim() ?? '';
  return {
    key: generatedKey('form-validation', subject),
    name: `Form on ${clip(path, 80)}: "${clip(text, 40)}" with empty fields shows validation`,
    description: `Generated from a crawl of ${page.url}: submitting the form empty must keep the visitor on the page and show what is missing.`,
    suite: GENERATED_SUITE,
    tags: ['generated', 'form'],
    status: 'draft',
    steps: [
      { goto: path },
      { click: submit },
      { expect: { url: urlStartsWithPath(path) } },
      { expect: { visible: VALIDATION_MESSAGE }, name: 'a validation message is shown' },
    ],
  };
}

function submissionTest(
  page: PageSnapshot,
  path: string,
  subject: string,
  form: FormSnapshot,
  submit: Locator,
  origin: string,
): RawTest | null {
  const fill: Record<string, unknown>[] = [];
  for (const field of form.fields) {
    if (IGNORED.has(field.type)) continue;
    const placeholder = page.inputs.find(
      (i) => i.name !== undefined && i.name === field.name,
    )?.placeholder;
    const loc = fieldLocator(field, placeholder);
    if (!loc) {
      if (field.required) return null; // cannot fill a required field we cannot find
      continue;
    }
    if (TYPED.has(field.type)) fill.push({ fill: loc, value: sampleValue(field) });
    else if (field.type === 'select' || field.type === 'select-one') {
      const option = firstRealOption(field.options ?? []);
      if (option !== undefined) fill.push({ select: loc, option });
      else if (field.required) return null;
    } else if (field.type === 'checkbox') {
      if (field.required) fill.push({ check: loc });
    } else if (field.required) return null; // radios and the like need a choice we cannot make
  }
  if (fill.length === 0) return null;
  const action = relativePath(form.action, origin);
  const text = form.submitText?.trim() ?? '';
  const after: Record<string, unknown>[] =
    form.method.toUpperCase() === 'GET' && action !== null
      ? [{ expect: { url: urlStartsWithPath(action) } }]
      : [];
  return {
    key: generatedKey('form-submit', subject),
    name: `Form on ${clip(path, 80)}: "${clip(text, 40)}" with valid data is accepted`,
    description: `Generated from a crawl of ${page.url}. The values are samples; replace them with data your app expects.`,
    suite: GENERATED_SUITE,
    tags: ['generated', 'form'],
    status: 'draft',
    steps: [
      { goto: path },
      ...fill,
      { click: submit },
      ...after,
      // The answer may come from a fetch; an error shows only once it is back.
      { wait: { loadState: 'networkidle' } },
      { expect: { hidden: ERROR_MESSAGE }, name: 'no error message is shown' },
    ],
  };
}

/** Find a field as a user would: by its label, else its placeholder, else its name. */
function fieldLocator(field: FormFieldSnapshot, placeholder: string | undefined): Locator | null {
  if (field.label?.trim()) return { label: field.label.trim(), exact: true };
  if (placeholder?.trim()) return { placeholder: placeholder.trim(), exact: true };
  if (field.name?.trim())
    return { css: `[name="${field.name.replace(/["\\]/g, '\\$&')}"]`, nth: 0 };
  return null;
}

/** A plausible value for a field, from its type first and its name or label second. */
function sampleValue(field: FormFieldSnapshot): string {
  const hint = `${field.name ?? ''} ${field.label ?? ''}`.toLowerCase();
  switch (field.type) {
    case 'email':
      return 'greenlight@example.com';
    case 'tel':
      return '+1 555 0100';
    case 'url':
      return 'https://example.com';
    case 'number':
      return '1';
    case 'date':
      return '2030-01-15';
    case 'textarea':
      return 'Hello from Greenlight: an automated test message.';
    case 'search':
      return 'test';
  }
  if (/mail/.test(hint)) return 'greenlight@example.com';
  if (/phone|tel/.test(hint)) return '+1 555 0100';
  if (/name/.test(hint)) return 'Greenlight Test';
  if (/search|query|\bq\b/.test(hint)) return 'test';
  return 'Greenlight test';
}

/** The first option that is a real choice, not a "Choose a topic" placeholder. */
function firstRealOption(options: readonly string[]): string | undefined {
  return options.find((o) => o.trim() !== '' && !/^(choose|select|pick|--|—)/i.test(o.trim()));
}
