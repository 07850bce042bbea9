import { locatorKinds, type Locator } from '../domain/locator.ts';
import {
  stepAction,
  type CookieExpectation,
  type ExpectStep,
  type StorageExpectation,
  type RequestStep,
  type Step,
  type TextMatch,
} from '../domain/steps.ts';
import type { ScreenshotSpec, WaitSpec } from '../domain/describe-step.ts';
import { parseJsonPath } from '../domain/json-path.ts';
import { DEFAULT_MAX_DIFF_RATIO, DEFAULT_VISUAL_THRESHOLD } from '../domain/visual.ts';
import { ident, jsValue, options, quote, regex, str, type Helper } from './codegen.ts';
import { accessibleOptions, failingImpacts, type AccessibleSpec } from '../domain/accessibility.ts';

/** What translating a step needs: its timeout (if not the config's) and a way to ask for helpers. */
export interface CodeContext {
  timeout: number | undefined;
  use: (h: Helper) => void;
}

/** Playwright code for a locator: `page.getByRole('button', { name: 'Save' })`. */
export function locatorCode(loc: Locator): string {
  const exact = loc.exact !== undefined ? String(loc.exact) : undefined;
  const kind = locatorKinds.find((k) => loc[k] !== undefined) ?? 'css';
  const v = str(String(loc[kind] ?? ''));
  let code: string;
  if (kind === 'role') {
    const o = options({ name: loc.name !== undefined ? str(loc.name) : undefined, exact });
    code = `page.getByRole(${quote(loc.role ?? '')}${o ? `, ${o}` : ''})`;
  } else if (kind === 'css') code = `page.locator(${v})`;
  else if (kind === 'xpath') code = `page.locator(${str(`xpath=${loc.xpath ?? ''}`)})`;
  else if (kind === 'testId') code = `page.getByTestId(${v})`;
  else {
    const fn = {
      label: 'getByLabel',
      placeholder: 'getByPlaceholder',
      text: 'getByText',
      alt: 'getByAltText',
      title: 'getByTitle',
    }[kind];
    const o = options({ exact });
    code = `page.${fn}(${v}${o ? `, ${o}` : ''})`;
  }
  if (loc.hasText !== undefined) code += `.filter({ hasText: ${str(loc.hasText)} })`;
  if (loc.nth !== undefined) code += loc.nth === -1 ? '.last()' : `.nth(${loc.nth})`;
  return code;
}

const args = (...xs: string[]): string => xs.filter(Boolean).join(', ');
const timeoutOpt = (c: CodeContext): string | undefined =>
  c.timeout !== undefined ? String(c.timeout) : undefined;

/** The statements that perform one step (variables already declared by the caller). */
export function stepCode(step: Step, c: CodeContext): string[] {
  const t = timeoutOpt(c);
  const to = options({ timeout: t });
  const s = step as Record<string, unknown> & Step;
  switch (stepAction(step)) {
    case 'goto':
      return [`await page.goto(${args(str(s.goto as string), to)});`];
    case 'reload':
      return [`await page.reload(${to});`];
    case 'back':
      return [`await page.goBack(${to});`];
    case 'forward':
      return [`await page.goForward(${to});`];
    case 'dispatch':
      return [
        `await ${locatorCode(s.dispatch as Locator)}.dispatchEvent(${args(str(s.event as string), to ? `undefined, ${to}` : '')});`,
      ];
    case 'click': {
      const o = options({
        button: typeof s.button === 'string' && s.button !== 'left' ? quote(s.button) : undefined,
        modifiers: Array.isArray(s.modifiers)
          ? `[${(s.modifiers as string[]).map(quote).join(', ')}]`
          : undefined,
        force: s.force ? 'true' : undefined,
        timeout: t,
      });
      return [`await ${locatorCode(s.click as Locator)}.click(${o});`];
    }
    case 'dblclick':
      return [`await ${locatorCode(s.dblclick as Locator)}.dblclick(${to});`];
    case 'fill':
      return [`await ${locatorCode(s.fill as Locator)}.fill(${args(str(s.value as string), to)});`];
    case 'select': {
      const o = s.option as string | string[];
      const opt = Array.isArray(o) ? `[${o.map(str).join(', ')}]` : str(o);
      return [`await ${locatorCode(s.select as Locator)}.selectOption(${args(opt, to)});`];
    }
    case 'check':
      return [`await ${locatorCode(s.check as Locator)}.check(${to});`];
    case 'uncheck':
      return [`await ${locatorCode(s.uncheck as Locator)}.uncheck(${to});`];
    case 'press':
      return s.on
        ? [`await ${locatorCode(s.on as Locator)}.press(${args(str(s.press as string), to)});`]
        : [`await page.keyboard.press(${str(s.press as string)});`];
    case 'hover':
      return [`await ${locatorCode(s.hover as Locator)}.hover(${to});`];
    case 'upload': {
      c.use('path');
      const files = Array.isArray(s.files) ? (s.files as string[]) : [s.files as string];
      const list = files.map((f) => `path.resolve(TEST_DATA_DIR, ${str(f)})`).join(', ');
      return [`await ${locatorCode(s.upload as Locator)}.setInputFiles(${args(`[${list}]`, to)});`];
    }
    case 'wait':
      return waitCode(s.wait as WaitSpec, c);
    case 'expect':
      return expectCode((s as ExpectStep).expect, c);
    case 'screenshot': {
      const sc = s.screenshot as ScreenshotSpec;
      if (sc.compare) return [visualCode(sc, t)];
      const file = `test.info().outputPath(${str(`${sc.name.replace(/[^\w.{}-]+/g, '_')}.png`)})`;
      if (sc.locator) {
        return [
          `await ${locatorCode(sc.locator)}.screenshot(${options({ path: file, timeout: t })});`,
        ];
      }
      const o = options({ path: file, fullPage: sc.fullPage ? 'true' : undefined, timeout: t });
      return [`await page.screenshot(${o});`];
    }
    case 'request':
      return requestCode((s as RequestStep).request, c);
    case 'set': {
      const name = ident(s.set as string);
      if (s.value !== undefined) return [`${name} = ${str(s.value as string)};`];
      const l = locatorCode(s.from as Locator);
      return s.attribute
        ? [`${name} = (await ${l}.getAttribute(${args(str(s.attribute as string), to)})) ?? '';`]
        : [`${name} = ((await ${l}.textContent(${to})) ?? '').replace(/\\s+/g, ' ').trim();`];
    }
  }
}

/**
 * A compared screenshot as Playwright's own visual assertion. The threshold is always written:
 * Playwright's default (0.2) is not ours (0.1). Animations and the caret are off by default there.
 */
function visualCode(sc: ScreenshotSpec, timeout: string | undefined): string {
  const cmp = sc.compare === true || !sc.compare ? {} : sc.compare;
  const ratio = cmp.maxDiffRatio ?? DEFAULT_MAX_DIFF_RATIO;
  const o = options({
    fullPage: sc.fullPage && !sc.locator ? 'true' : undefined,
    mask: cmp.mask ? `[${cmp.mask.map(locatorCode).join(', ')}]` : undefined,
    threshold: String(cmp.threshold ?? DEFAULT_VISUAL_THRESHOLD),
    maxDiffPixelRatio: ratio > 0 ? String(ratio) : undefined,
    timeout,
  });
  const target = sc.locator ? locatorCode(sc.locator) : 'page';
  const file = quote(`${sc.name.replace(/[^\w.-]+/g, '_')}.png`);
  return `await expect(${target}).toHaveScreenshot(${args(file, o)});`;
}

function waitCode(w: WaitSpec, c: CodeContext): string[] {
  const out: string[] = [];
  const t = timeoutOpt(c);
  if (w.ms !== undefined) out.push(`await page.waitForTimeout(${w.ms});`);
  if (w.url) out.push(...urlCode(w.url, c));
  if (w.loadState) {
    out.push(`await page.waitForLoadState(${args(quote(w.loadState), options({ timeout: t }))});`);
  }
  for (const state of ['visible', 'hidden', 'attached', 'detached'] as const) {
    const l = w[state];
    if (l)
      out.push(`await ${locatorCode(l)}.waitFor(${options({ state: quote(state), timeout: t })});`);
  }
  return out;
}

/** `expect(page).toHaveURL(...)` lines: equals is resolved against baseURL like the runner does. */
function urlCode(m: TextMatch, c: CodeContext): string[] {
  const t = timeoutOpt(c);
  const out: string[] = [];
  if (m.equals !== undefined) {
    const o = options({ ignoreCase: m.ignoreCase ? 'true' : undefined, timeout: t });
    out.push(`await expect(page).toHaveURL(${args(str(m.equals), o)});`);
  }
  for (const re of containsAndMatches(m, c)) {
    out.push(`await expect(page).toHaveURL(${args(re, options({ timeout: t }))});`);
  }
  if (out.length === 0)
    out.push(`await expect(page).toHaveURL(${args('/\\S/', options({ timeout: t }))});`);
  return out;
}

function containsAndMatches(m: TextMatch, c: CodeContext): string[] {
  const out: string[] = [];
  if (m.contains !== undefined) out.push(regex(m.contains, 'contains', m.ignoreCase, c.use));
  if (m.matches !== undefined) out.push(regex(m.matches, 'matches', m.ignoreCase, c.use));
  return out;
}

function expectCode(e: ExpectStep['expect'], c: CodeContext): string[] {
  const t = timeoutOpt(c);
  const to = options({ timeout: t });
  const out: string[] = [];
  const assert = (target: string, matcher: string, ...a: string[]): void => {
    out.push(`await expect(${target}).${matcher}(${args(...a)});`);
  };
  if (e.url) out.push(...urlCode(e.url, c));
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
  if (e.count) {
    const { locator, equals, max } = e.count;
    const min =
      equals === undefined && max === undefined && e.count.min === undefined ? 1 : e.count.min;
    const l = locatorCode(locator);
    if (equals !== undefined) assert(l, 'toHaveCount', String(equals), to);
    // toHaveCount has no bounds; expect.poll retries the count the same way.
    const poll = `await expect.poll(() => ${l}.count()${to ? `, ${to}` : ''})`;
    if (min !== undefined) out.push(`${poll}.toBeGreaterThanOrEqual(${min});`);
    if (max !== undefined) out.push(`${poll}.toBeLessThanOrEqual(${max});`);
  }
  if (e.noConsoleErrors) {
    // The errors so far, like the runner: nothing to wait for. The spec collects them from the start.
    const patterns = e.noConsoleErrors === true ? [] : (e.noConsoleErrors.ignore ?? []);
    const ignore = patterns.map((p) => regex(p, 'matches', false, c.use));
    const list =
      ignore.length === 0
        ? 'consoleErrors'
        : ignore.length === 1
          ? `consoleErrors.filter((m) => !${ignore[0]}.test(m))`
          : `consoleErrors.filter((m) => ![${ignore.join(', ')}].some((re) => re.test(m)))`;
    out.push(`expect(${list}, 'console errors').toEqual([]);`);
  }
  if (e.empty) assert(locatorCode(e.empty), 'toBeEmpty', to);
  if (e.focused) assert(locatorCode(e.focused), 'toBeFocused', to);
  if (e.storage) out.push(...storageCode(e.storage, c));
  if (e.cookie) out.push(cookieCode(e.cookie, c));
  if (e.accessible) out.push(...accessibleCode(e.accessible, c));
  return out;
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
 * Storage has no web-first assertion: expect.poll retries the read as the runner does; the JSON
 * paths are polled as one object so a failure shows every path's value.
 */
function storageCode(st: StorageExpectation, c: CodeContext): string[] {
  const area = st.area === 'session' ? 'sessionStorage' : 'localStorage';
  const read = `page.evaluate((k) => ${area}.getItem(k), ${str(st.key)})`;
  const to = timeoutOpt(c);
  const pollOpts = to ? `, { timeout: ${to} }` : '';
  const lines = [
    `await expect.poll(async () => { const v = await ${read}; return ${matchExpr(st, c)}; }${pollOpts}).toBe(true);`,
  ];
  const json = Object.entries(st.json ?? {});
  if (json.length) {
    const expected = jsValue(Object.fromEntries(json));
    const actual = json.map(([p]) => `${quote(p)}: ${accessor(p)}`).join(', ');
    lines.push(
      `await expect.poll(async () => { const body = JSON.parse((await ${read}) ?? 'null'); return { ${actual} }; }${pollOpts}).toEqual(${expected});`,
    );
  }
  return lines;
}

/** A cookie of the context, retried with expect.poll. */
function cookieCode(ck: CookieExpectation, c: CodeContext): string {
  const to = timeoutOpt(c);
  const pollOpts = to ? `, { timeout: ${to} }` : '';
  return `await expect.poll(async () => { const v = (await page.context().cookies(page.url())).find((x) => x.name === ${str(ck.name)})?.value ?? null; return ${matchExpr(ck, c)}; }${pollOpts}).toBe(true);`;
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

/** JS access for a JSON path: `$.items[0].id` → `body?.items?.[0]?.id`. */
function accessor(path: string): string {
  return (
    'body' +
    parseJsonPath(path)
      .map((s) =>
        'index' in s
          ? s.index < 0
            ? `?.at(${s.index})`
            : `?.[${s.index}]`
          : /^[A-Za-z_$][\w$]*$/.test(s.key)
            ? `?.${s.key}`
            : `?.[${quote(s.key)}]`,
      )
      .join('')
  );
}

function requestCode(r: RequestStep['request'], c: CodeContext): string[] {
  const headers = { ...r.headers };
  let data: string | undefined;
  if (r.json !== undefined) {
    // Playwright sends an object or array as JSON with its content type; other values are
    // serialized here and labelled, as the runner does.
    const isObject = typeof r.json === 'object' && r.json !== null;
    data = isObject ? jsValue(r.json) : `JSON.stringify(${jsValue(r.json)})`;
    if (!isObject && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  } else if (r.body !== undefined) data = str(r.body);
  const o = options({
    method: quote(r.method),
    headers: Object.keys(headers).length ? jsValue(headers) : undefined,
    data,
    timeout: timeoutOpt(c),
  });
  const out = [`const res = await page.request.fetch(${str(r.url)}, ${o});`];
  const ex = r.expect;
  if (ex?.status !== undefined) {
    out.push(
      Array.isArray(ex.status)
        ? `expect([${ex.status.join(', ')}]).toContain(res.status());`
        : `expect(res.status()).toBe(${ex.status});`,
    );
  }
  for (const [name, m] of Object.entries(ex?.headers ?? {}) as [string, TextMatch][]) {
    const h = `res.headers()[${quote(name.toLowerCase())}]`;
    if (m.equals !== undefined) {
      out.push(
        m.ignoreCase
          ? `expect(${h}).toMatch(${regex(m.equals, 'equals', true, c.use)});`
          : `expect(${h}).toBe(${str(m.equals)});`,
      );
    }
    for (const re of containsAndMatches(m, c)) out.push(`expect(${h}).toMatch(${re});`);
  }
  const captures = Object.entries(r.capture ?? {});
  const needsJson =
    Object.keys(ex?.json ?? {}).length > 0 ||
    captures.some(([, src]) => src.trim().startsWith('$'));
  if (needsJson) out.push('const body = await res.json();');
  for (const [path, expected] of Object.entries(ex?.json ?? {})) {
    // The runner compares a string expectation with a number or boolean by its text.
    out.push(
      typeof expected === 'string'
        ? `expect(String(${accessor(path)})).toBe(${str(expected)});`
        : `expect(${accessor(path)}).toEqual(${jsValue(expected)});`,
    );
  }
  if (ex?.bodyContains !== undefined)
    out.push(`expect(await res.text()).toContain(${str(ex.bodyContains)});`);
  for (const [name, src] of captures) {
    const s = src.trim();
    if (s === 'status') out.push(`${ident(name)} = String(res.status());`);
    else if (s.toLowerCase().startsWith('header:')) {
      const h = s.slice('header:'.length).trim().toLowerCase();
      out.push(`${ident(name)} = res.headers()[${quote(h)}] ?? '';`);
    } else {
      c.use('asText');
      out.push(`${ident(name)} = asText(${accessor(s)});`);
    }
  }
  return ['{', ...out.map((l) => `  ${l}`), '}'];
}
