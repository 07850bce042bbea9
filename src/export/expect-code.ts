import { accessibleOptions, failingImpacts, type AccessibleSpec } from '../domain/accessibility.ts';
import type {
  ClassExpectation,
  CookieExpectation,
  ExpectStep,
  NegatedExpectations,
  Step,
  StorageExpectation,
  TextMatch,
  TextsExpectation,
} from '../domain/steps.ts';
import {
  accessor,
  args,
  jsValue,
  options,
  quote,
  regex,
  str,
  timeoutOpt,
  type CodeContext,
} from './codegen.ts';
import { locatorCode } from './locator-code.ts';

/** `''` or `.not`, put between `expect(…)` and the matcher. */
type Not = '' | '.not';

/** `expect(page).toHaveURL(...)` lines: equals is resolved against baseURL like the runner does. */
export function urlCode(m: TextMatch, c: CodeContext, not: Not = ''): string[] {
  const t = timeoutOpt(c);
  const out: string[] = [];
  if (m.equals !== undefined) {
    const o = options({ ignoreCase: m.ignoreCase ? 'true' : undefined, timeout: t });
    out.push(`await expect(page)${not}.toHaveURL(${args(str(m.equals), o)});`);
  }
  for (const re of containsAndMatches(m, c)) {
    out.push(`await expect(page)${not}.toHaveURL(${args(re, options({ timeout: t }))});`);
  }
  if (out.length === 0)
    out.push(`await expect(page)${not}.toHaveURL(${args('/\\S/', options({ timeout: t }))});`);
  return out;
}

/** `contains` and `matches` of a match object as RegExp expressions. */
export function containsAndMatches(m: TextMatch, c: CodeContext): string[] {
  const out: string[] = [];
  if (m.contains !== undefined) out.push(regex(m.contains, 'contains', m.ignoreCase, c.use));
  if (m.matches !== undefined) out.push(regex(m.matches, 'matches', m.ignoreCase, c.use));
  return out;
}

/** The lines of an expect step, in the runner's order; `not` assertions use Playwright's `.not`. */
export function expectCode(e: ExpectStep['expect'], c: CodeContext): string[] {
  const out = assertionsCode(e, c, '', () => consoleCode(e, c));
  if (e.not) out.push(...assertionsCode(e.not, c, '.not'));
  if (e.accessible) out.push(...accessibleCode(e.accessible, c));
  return out;
}

/**
 * The assertions an expect step and its `not` block share. `afterCount` adds what the runner
 * checks between `count` and `empty` (console errors, which do not wait).
 */
function assertionsCode(
  e: NegatedExpectations,
  c: CodeContext,
  not: Not,
  afterCount?: () => string[],
): string[] {
  const t = timeoutOpt(c);
  const to = options({ timeout: t });
  const out: string[] = [];
  const assert = (target: string, matcher: string, ...a: string[]): void => {
    out.push(`await expect(${target})${not}.${matcher}(${args(...a)});`);
  };
  if (e.url) out.push(...urlCode(e.url, c, not));
  if (e.title) {
    const m: TextMatch = e.title;
    if (m.equals !== undefined) {
      assert(
        'page',
        'toHaveTitle',
        m.ignoreCase ? regex(m.equals, 'equals', true, c.use) : str(m.equals),
        to,
      );
    }
    for (const re of containsAndMatches(m, c)) assert('page', 'toHaveTitle', re, to);
    if (isEmpty(m)) assert('page', 'toHaveTitle', '/\\S/', to);
  }
  const states = {
    visible: 'toBeVisible',
    hidden: 'toBeHidden',
    enabled: 'toBeEnabled',
    disabled: 'toBeDisabled',
    checked: 'toBeChecked',
  } as const;
  for (const [key, matcher] of Object.entries(states) as [keyof typeof states, string][]) {
    const l = e[key];
    if (l) assert(locatorCode(l), matcher, to);
  }
  if (e.text) {
    const m = e.text;
    const l = locatorCode(m.locator);
    const o = options({ ignoreCase: m.ignoreCase ? 'true' : undefined, timeout: t });
    if (m.equals !== undefined) assert(l, 'toHaveText', str(m.equals), o);
    if (m.contains !== undefined) assert(l, 'toContainText', str(m.contains), o);
    if (m.matches !== undefined)
      assert(l, 'toHaveText', regex(m.matches, 'matches', m.ignoreCase, c.use), to);
    if (isEmpty(m)) assert(l, 'toHaveText', '/\\S/', to);
  }
  if (e.texts) out.push(...textsCode(e.texts, c, not));
  if (e.value) {
    const m = e.value;
    const l = locatorCode(m.locator);
    if (m.equals !== undefined) {
      assert(
        l,
        'toHaveValue',
        m.ignoreCase ? regex(m.equals, 'equals', true, c.use) : str(m.equals),
        to,
      );
    }
    for (const re of containsAndMatches(m, c)) assert(l, 'toHaveValue', re, to);
    if (isEmpty(m)) assert(l, 'toHaveValue', '/\\S/', to);
  }
  if (e.attribute) {
    const m = e.attribute;
    const l = locatorCode(m.locator);
    const name = str(m.attribute);
    if (m.equals !== undefined) {
      const o = options({ ignoreCase: m.ignoreCase ? 'true' : undefined, timeout: t });
      assert(l, 'toHaveAttribute', name, str(m.equals), o);
    }
    for (const re of containsAndMatches(m, c)) assert(l, 'toHaveAttribute', name, re, to);
    if (isEmpty(m)) assert(l, 'toHaveAttribute', name, to);
  }
  if (e.class) out.push(classCode(e.class, c, not));
  if (e.count) out.push(...countCode(e.count, c, not));
  if (afterCount) out.push(...afterCount());
  if (e.empty) assert(locatorCode(e.empty), 'toBeEmpty', to);
  if (e.focused) assert(locatorCode(e.focused), 'toBeFocused', to);
  if (e.storage) out.push(...storageCode(e.storage, c, not));
  if (e.cookie) out.push(cookieCode(e.cookie, c, not));
  return out;
}

function countCode(
  count: NonNullable<NegatedExpectations['count']>,
  c: CodeContext,
  not: Not,
): string[] {
  const to = options({ timeout: timeoutOpt(c) });
  const { locator, equals, max } = count;
  const min = equals === undefined && max === undefined && count.min === undefined ? 1 : count.min;
  const l = locatorCode(locator);
  if (not) {
    if (min === undefined && max === undefined) {
      return [`await expect(${l}).not.toHaveCount(${args(String(equals), to)});`];
    }
    // "Not within these bounds" is one condition: the count is polled and the bounds tested together.
    const cond = [
      equals !== undefined ? `n === ${equals}` : '',
      min !== undefined ? `n >= ${min}` : '',
      max !== undefined ? `n <= ${max}` : '',
    ].filter(Boolean);
    return [
      `await expect.poll(async () => { const n = await ${l}.count(); return ${cond.join(' && ')}; }${to ? `, ${to}` : ''}).toBe(false);`,
    ];
  }
  const out: string[] = [];
  if (equals !== undefined)
    out.push(`await expect(${l}).toHaveCount(${args(String(equals), to)});`);
  // toHaveCount has no bounds; expect.poll retries the count the same way.
  const poll = `await expect.poll(() => ${l}.count()${to ? `, ${to}` : ''})`;
  if (min !== undefined) out.push(`${poll}.toBeGreaterThanOrEqual(${min});`);
  if (max !== undefined) out.push(`${poll}.toBeLessThanOrEqual(${max});`);
  return out;
}

/** A class list item: a string, or a RegExp for `matches`. */
function itemCode(m: TextMatch, c: CodeContext): string {
  if (m.matches !== undefined) return regex(m.matches, 'matches', false, c.use);
  return str(m.equals ?? '');
}

/** A texts item as an asymmetric matcher on the normalized text (see textsCode). */
function textItemMatcher(m: TextMatch, ignoreCase: boolean | undefined, c: CodeContext): string {
  if (m.matches !== undefined) {
    return `expect.stringMatching(${regex(m.matches, 'matches', ignoreCase, c.use)})`;
  }
  if (m.contains !== undefined) {
    return ignoreCase
      ? `expect.stringMatching(${regex(m.contains, 'contains', true, c.use)})`
      : `expect.stringContaining(${str(m.contains)})`;
  }
  const e = m.equals ?? '';
  return ignoreCase ? `expect.stringMatching(${regex(e, 'equals', true, c.use)})` : str(e);
}

/**
 * `texts` as toHaveText([...]) (same count, in order) or toContainText([...]) (in order). A list
 * with `contains` or `matches` items is polled instead: Playwright tests a RegExp item against the
 * raw text, the runner against the text with whitespace collapsed (so `^Read` matches an indented
 * item); expect.poll over the collapsed texts compares exactly as the runner does.
 */
function textsCode(ts: TextsExpectation, c: CodeContext, not: Not): string[] {
  const t = timeoutOpt(c);
  const o = options({ ignoreCase: ts.ignoreCase ? 'true' : undefined, timeout: t });
  const l = locatorCode(ts.locator);
  if (ts.contains) {
    return [
      `await expect(${l})${not}.toContainText(${args(`[${ts.contains.map(str).join(', ')}]`, o)});`,
    ];
  }
  const items = ts.equals ?? [];
  if (items.every((m) => m.equals !== undefined)) {
    const list = `[${items.map((m) => str(m.equals ?? '')).join(', ')}]`;
    return [`await expect(${l})${not}.toHaveText(${args(list, o)});`];
  }
  const matchers = items.map((m) => textItemMatcher(m, ts.ignoreCase, c)).join(', ');
  const read = `(await ${l}.allTextContents()).map((s) => s.replace(/\\u200b/g, '').trim().replace(/\\s+/g, ' '))`;
  const pollOpts = t ? `, { timeout: ${t} }` : '';
  return [`await expect.poll(async () => ${read}${pollOpts})${not}.toEqual([${matchers}]);`];
}

/** `class` as toHaveClass (exact, pattern, list) or toContainClass (classes, list). */
function classCode(cl: ClassExpectation, c: CodeContext, not: Not): string {
  const o = options({ timeout: timeoutOpt(c) });
  const l = locatorCode(cl.locator);
  let matcher = 'toHaveClass';
  let value: string;
  if (cl.matches !== undefined) value = regex(cl.matches, 'matches', false, c.use);
  else if (cl.contains !== undefined) {
    matcher = 'toContainClass';
    value =
      typeof cl.contains === 'string' ? str(cl.contains) : `[${cl.contains.map(str).join(', ')}]`;
  } else if (typeof cl.equals === 'string') value = str(cl.equals);
  else value = `[${(cl.equals ?? []).map((m) => itemCode(m, c)).join(', ')}]`;
  return `await expect(${l})${not}.${matcher}(${args(value, o)});`;
}

/** `noConsoleErrors`: the errors so far, like the runner (nothing to wait for). */
function consoleCode(e: ExpectStep['expect'], c: CodeContext): string[] {
  if (!e.noConsoleErrors) return [];
  // The spec collects them from its start (consoleErrorCollector).
  const patterns = e.noConsoleErrors === true ? [] : (e.noConsoleErrors.ignore ?? []);
  const ignore = patterns.map((p) => regex(p, 'matches', false, c.use));
  const list =
    ignore.length === 0
      ? 'consoleErrors'
      : ignore.length === 1
        ? `consoleErrors.filter((m) => !${ignore[0]}.test(m))`
        : `consoleErrors.filter((m) => ![${ignore.join(', ')}].some((re) => re.test(m)))`;
  return [`expect(${list}, 'console errors').toEqual([]);`];
}

/** Checks on a string `v` (null when absent) as one boolean expression, like the runner's match. */
function matchExpr(m: TextMatch, c: CodeContext): string {
  const parts = ['v !== null'];
  if (m.equals !== undefined) {
    parts.push(
      m.ignoreCase ? `${regex(m.equals, 'equals', true, c.use)}.test(v)` : `v === ${str(m.equals)}`,
    );
  }
  for (const re of containsAndMatches(m, c)) parts.push(`${re}.test(v)`);
  return parts.join(' && ');
}

/**
 * Storage has no web-first assertion: expect.poll retries the read as the runner does. JSON
 * paths are compared the runner's way (jsonEquals: `"2"` also equals 2) and polled together, so
 * a failure lists each path that differs with its value. Negated (one comparison), the poll
 * waits for the whole check to be false; an entry that is not set is false.
 */
function storageCode(st: StorageExpectation, c: CodeContext, not: Not): string[] {
  const area = st.area === 'session' ? 'sessionStorage' : 'localStorage';
  // Through globalThis: the callback runs in the page, but the spec is linted as Node code.
  const read = `page.evaluate((k) => globalThis.${area}.getItem(k), ${str(st.key)})`;
  const to = timeoutOpt(c);
  const pollOpts = to ? `, { timeout: ${to} }` : '';
  const json = Object.entries(st.json ?? {});
  if (json.length) c.use('jsonEquals');
  if (not) {
    const checks = [matchExpr(st, c)];
    for (const [p, expected] of json) {
      checks.push(
        `(() => { try { const body = JSON.parse(v); return jsonEquals(${accessor(p)}, ${jsValue(expected)}); } catch { return false; } })()`,
      );
    }
    return [
      `await expect.poll(async () => { const v = await ${read}; return ${checks.join(' && ')}; }${pollOpts}).toBe(false);`,
    ];
  }
  const lines = [
    `await expect.poll(async () => { const v = await ${read}; return ${matchExpr(st, c)}; }${pollOpts}).toBe(true);`,
  ];
  if (json.length) {
    const pairs = json.map(([p, e]) => `${quote(p)}: [${accessor(p)}, ${jsValue(e)}]`).join(', ');
    lines.push(
      `await expect.poll(async () => { const body = JSON.parse((await ${read}) ?? 'null'); return Object.entries({ ${pairs} }).filter(([, [a, e]]) => !jsonEquals(a, e)).map(([p, [a]]) => p + ' = ' + JSON.stringify(a)); }${pollOpts}).toEqual([]);`,
    );
  }
  return lines;
}

/** A cookie of the context, retried with expect.poll (negated: until it is absent or differs). */
function cookieCode(ck: CookieExpectation, c: CodeContext, not: Not): string {
  const to = timeoutOpt(c);
  const pollOpts = to ? `, { timeout: ${to} }` : '';
  return `await expect.poll(async () => { const v = (await page.context().cookies(page.url())).find((x) => x.name === ${str(ck.name)})?.value ?? null; return ${matchExpr(ck, c)}; }${pollOpts}).toBe(${not ? 'false' : 'true'});`;
}

/** `accessible`: the same axe-core check through @axe-core/playwright, impacts filtered alike. */
function accessibleCode(spec: AccessibleSpec, c: CodeContext): string[] {
  c.use('axe');
  const o = accessibleOptions(spec);
  let builder = `new AxeBuilder({ page }).withTags(${jsValue(o.tags)})`;
  if (o.disableRules.length) builder += `.disableRules(${jsValue(o.disableRules)})`;
  for (const sel of o.exclude) builder += `.exclude(${str(sel)})`;
  const impacts = jsValue(failingImpacts(o.impact));
  return [
    '{',
    `  const { violations } = await ${builder}.analyze();`,
    `  const failing = violations.filter((v) => ${impacts}.includes(v.impact ?? ''));`,
    "  expect(failing.map((v) => `${v.id}: ${v.help}`), 'accessibility violations').toEqual([]);",
    '}',
  ];
}

/** Whether any step asserts `noConsoleErrors`: then the spec collects errors from its start. */
export function collectsConsoleErrors(steps: Step[]): boolean {
  return steps.some((s) => 'expect' in s && s.expect.noConsoleErrors !== undefined);
}

/** Statements opening a spec that records console errors and uncaught page errors as the runner does. */
export const consoleErrorCollector: readonly string[] = [
  'const consoleErrors: string[] = [];',
  "page.on('console', (msg) => {",
  "  if (msg.type() === 'error') consoleErrors.push(msg.text());",
  '});',
  "page.on('pageerror', (err) => consoleErrors.push(err.message || String(err)));",
];

const isEmpty = (m: TextMatch): boolean =>
  m.equals === undefined && m.contains === undefined && m.matches === undefined;
