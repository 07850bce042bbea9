import { taggedStep, type RequestStep, type Step, type TextMatch } from '../domain/steps.ts';
import type { ScreenshotSpec, WaitSpec } from '../domain/describe-step.ts';
import { DEFAULT_MAX_DIFF_RATIO, DEFAULT_VISUAL_THRESHOLD } from '../domain/visual.ts';
import {
  accessor,
  args,
  ident,
  jsValue,
  options,
  quote,
  regex,
  str,
  timeoutOpt,
  type CodeContext,
} from './codegen.ts';
import { containsAndMatches, expectCode, urlCode } from './expect-code.ts';
import { locatorCode } from './locator-code.ts';

export type { CodeContext } from './codegen.ts';
export { collectsConsoleErrors, consoleErrorCollector } from './expect-code.ts';

/** The statements that perform one step (variables already declared by the caller). */
export function stepCode(step: Step, c: CodeContext): string[] {
  const t = timeoutOpt(c);
  const to = options({ timeout: t });
  const tagged = taggedStep(step);
  switch (tagged.action) {
    case 'goto':
      return [`await page.goto(${args(str(tagged.step.goto), to)});`];
    case 'reload':
      return [`await page.reload(${to});`];
    case 'back':
      return [`await page.goBack(${to});`];
    case 'forward':
      return [`await page.goForward(${to});`];
    case 'dispatch': {
      const s = tagged.step;
      return [
        `await ${locatorCode(s.dispatch)}.dispatchEvent(${args(str(s.event), to ? `undefined, ${to}` : '')});`,
      ];
    }
    case 'click': {
      const s = tagged.step;
      const o = options({
        button: s.button !== undefined && s.button !== 'left' ? quote(s.button) : undefined,
        modifiers: s.modifiers ? `[${s.modifiers.map(quote).join(', ')}]` : undefined,
        force: s.force ? 'true' : undefined,
        timeout: t,
      });
      return [`await ${locatorCode(s.click)}.click(${o});`];
    }
    case 'dblclick':
      return [`await ${locatorCode(tagged.step.dblclick)}.dblclick(${to});`];
    case 'fill':
      return [`await ${locatorCode(tagged.step.fill)}.fill(${args(str(tagged.step.value), to)});`];
    case 'select': {
      const o = tagged.step.option;
      const opt = Array.isArray(o) ? `[${o.map(str).join(', ')}]` : str(o);
      return [`await ${locatorCode(tagged.step.select)}.selectOption(${args(opt, to)});`];
    }
    case 'check':
      return [`await ${locatorCode(tagged.step.check)}.check(${to});`];
    case 'uncheck':
      return [`await ${locatorCode(tagged.step.uncheck)}.uncheck(${to});`];
    case 'press': {
      const s = tagged.step;
      return s.on
        ? [`await ${locatorCode(s.on)}.press(${args(str(s.press), to)});`]
        : [`await page.keyboard.press(${str(s.press)});`];
    }
    case 'hover':
      return [`await ${locatorCode(tagged.step.hover)}.hover(${to});`];
    case 'upload': {
      c.use('path');
      const s = tagged.step;
      const files = Array.isArray(s.files) ? s.files : [s.files];
      const list = files.map((f) => `path.resolve(TEST_DATA_DIR, ${str(f)})`).join(', ');
      return [`await ${locatorCode(s.upload)}.setInputFiles(${args(`[${list}]`, to)});`];
    }
    case 'wait':
      return waitCode(tagged.step.wait, c);
    case 'expect':
      return expectCode(tagged.step.expect, c);
    case 'screenshot': {
      const sc: ScreenshotSpec = tagged.step.screenshot;
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
      return requestCode(tagged.step.request, c);
    case 'set': {
      const s = tagged.step;
      const name = ident(s.set);
      // A set step has exactly one of `from` and `value` (its schema's refine).
      if (s.from === undefined) return [`${name} = ${str(s.value ?? '')};`];
      const l = locatorCode(s.from);
      return s.attribute
        ? [`${name} = (await ${l}.getAttribute(${args(str(s.attribute), to)})) ?? '';`]
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
