import { describeLocator as loc, type Locator } from './locator.ts';
import {
  taggedStep,
  type ExpectStep,
  type NegatedExpectations,
  type Step,
  type TextMatch,
} from './steps.ts';
import type { VisualCompareSpec } from './visual.ts';
import { describeAccessible } from './accessibility.ts';

/** A wait step's conditions, whichever form (`wait: 500` or an object) it was written in. */
export interface WaitSpec {
  ms?: number;
  url?: TextMatch;
  loadState?: 'load' | 'domcontentloaded' | 'networkidle';
  visible?: Locator;
  hidden?: Locator;
  attached?: Locator;
  detached?: Locator;
}

/** A screenshot step's options, whichever form (a name or an object) it was written in. */
export interface ScreenshotSpec {
  name: string;
  fullPage?: boolean;
  locator?: Locator;
  /** Compare with the stored baseline (visual regression). */
  compare?: true | VisualCompareSpec;
}

const q = (s: string): string => JSON.stringify(s);
const isEmptyMatch = (m: TextMatch): boolean =>
  m.equals === undefined && m.contains === undefined && m.matches === undefined;

function match(m: TextMatch): string {
  const parts: string[] = [];
  if (m.equals !== undefined) parts.push(`= ${q(m.equals)}`);
  if (m.contains !== undefined) parts.push(`contains ${q(m.contains)}`);
  if (m.matches !== undefined) parts.push(`matches /${m.matches}/`);
  return (parts.join(' and ') || 'is not empty') + (m.ignoreCase ? ' (ignore case)' : '');
}

/** One line saying what a step does, e.g. `click role=button[name="Save"]`; secrets not yet masked. */
export function describeStep(step: Step): string {
  if (step.name) return step.name;
  const tagged = taggedStep(step);
  switch (tagged.action) {
    case 'goto':
      return `goto ${tagged.step.goto}`;
    case 'reload':
      return 'reload the page';
    case 'back':
      return 'go back';
    case 'forward':
      return 'go forward';
    case 'dispatch': {
      const s = tagged.step;
      return `dispatch ${q(s.event)} on ${loc(s.dispatch)}`;
    }
    case 'click': {
      const s = tagged.step;
      const mods = [...(s.modifiers ?? []), ...(s.button && s.button !== 'left' ? [s.button] : [])];
      return `click ${loc(s.click)}${mods.length ? ` (${mods.join('+')})` : ''}`;
    }
    case 'dblclick':
      return `double-click ${loc(tagged.step.dblclick)}`;
    case 'fill': {
      const s = tagged.step;
      return `fill ${loc(s.fill)} with ${q(s.value)}`;
    }
    case 'select': {
      const s = tagged.step;
      const opts = Array.isArray(s.option) ? s.option : [s.option];
      return `select ${opts.map(q).join(', ')} in ${loc(s.select)}`;
    }
    case 'check':
      return `check ${loc(tagged.step.check)}`;
    case 'uncheck':
      return `uncheck ${loc(tagged.step.uncheck)}`;
    case 'press': {
      const s = tagged.step;
      return `press ${s.press}${s.on ? ` on ${loc(s.on)}` : ''}`;
    }
    case 'hover':
      return `hover ${loc(tagged.step.hover)}`;
    case 'upload': {
      const s = tagged.step;
      const files = Array.isArray(s.files) ? s.files : [s.files];
      return `upload ${files.join(', ')} to ${loc(s.upload)}`;
    }
    case 'wait':
      return describeWait(tagged.step.wait);
    case 'expect':
      return describeExpect(tagged.step.expect);
    case 'screenshot': {
      const s: ScreenshotSpec = tagged.step.screenshot;
      return `screenshot ${q(s.name)}${s.locator ? ` of ${loc(s.locator)}` : ''}${s.fullPage ? ' (full page)' : ''}${s.compare ? ' compared with its baseline' : ''}`;
    }
    case 'request': {
      const r = tagged.step.request;
      return `request ${r.method} ${r.url}`;
    }
    case 'set': {
      const s = tagged.step;
      if (s.value !== undefined) return `set ${s.set} = ${q(s.value)}`;
      const what = s.attribute ? `attribute ${q(s.attribute)} of` : 'text of';
      return `set ${s.set} from ${what} ${s.from ? loc(s.from) : '?'}`;
    }
  }
}

function describeWait(w: WaitSpec): string {
  const parts: string[] = [];
  if (w.ms !== undefined) parts.push(`${w.ms} ms`);
  if (w.url !== undefined) parts.push(`url ${match(w.url)}`);
  if (w.loadState !== undefined) parts.push(`load state ${w.loadState}`);
  for (const state of ['visible', 'hidden', 'attached', 'detached'] as const) {
    const l = w[state];
    if (l) parts.push(`${loc(l)} ${state}`);
  }
  return `wait ${parts.join(', ')}`;
}

/** `["a", contains "b", /c/]` for a list expectation. */
function list(items: readonly (string | TextMatch)[]): string {
  const item = (m: string | TextMatch): string =>
    typeof m === 'string'
      ? q(m)
      : m.matches !== undefined
        ? `/${m.matches}/`
        : m.contains !== undefined
          ? `contains ${q(m.contains)}`
          : q(m.equals ?? '');
  return `[${items.map(item).join(', ')}]`;
}

function describeExpect(e: ExpectStep['expect']): string {
  const parts = describeAssertions(e);
  if (e.noConsoleErrors) {
    const ignore = e.noConsoleErrors === true ? [] : (e.noConsoleErrors.ignore ?? []);
    const except = ignore.length ? ` (ignoring ${ignore.map((r) => `/${r}/`).join(', ')})` : '';
    parts.push(`no console errors${except}`);
  }
  if (e.not) parts.push(`not (${describeAssertions(e.not).join(', ')})`);
  if (e.accessible) parts.push(describeAccessible(e.accessible));
  return `expect ${parts.join(', ')}`;
}

/** The assertions an expect step and its `not` block share. */
function describeAssertions(e: NegatedExpectations): string[] {
  const parts: string[] = [];
  if (e.url) parts.push(`url ${match(e.url)}`);
  if (e.title) parts.push(`title ${match(e.title)}`);
  for (const state of ['visible', 'hidden', 'enabled', 'disabled', 'checked'] as const) {
    const l = e[state];
    if (l) parts.push(`${loc(l)} ${state}`);
  }
  if (e.text) parts.push(`text of ${loc(e.text.locator)} ${match(e.text)}`);
  if (e.texts) {
    const t = e.texts;
    const how = t.equals ? `= ${list(t.equals)}` : `contain in order ${list(t.contains ?? [])}`;
    parts.push(`texts of ${loc(t.locator)} ${how}${t.ignoreCase ? ' (ignore case)' : ''}`);
  }
  if (e.value) parts.push(`value of ${loc(e.value.locator)} ${match(e.value)}`);
  if (e.attribute) {
    const a = e.attribute;
    const present = a.equals === undefined && a.contains === undefined && a.matches === undefined;
    parts.push(
      `attribute ${q(a.attribute)} of ${loc(a.locator)} ${present ? 'is present' : match(a)}`,
    );
  }
  if (e.count) {
    const c = e.count;
    const bounds = [
      c.equals !== undefined ? `= ${c.equals}` : '',
      c.min !== undefined ? `>= ${c.min}` : '',
      c.max !== undefined ? `<= ${c.max}` : '',
    ].filter(Boolean);
    parts.push(`count of ${loc(c.locator)} ${bounds.join(' and ') || '> 0'}`);
  }
  if (e.class) {
    const c = e.class;
    const how =
      c.matches !== undefined
        ? `matches /${c.matches}/`
        : c.contains !== undefined
          ? `contains ${typeof c.contains === 'string' ? q(c.contains) : list(c.contains)}`
          : `= ${typeof c.equals === 'string' ? q(c.equals) : list(c.equals ?? [])}`;
    parts.push(`class of ${loc(c.locator)} ${how}`);
  }
  if (e.empty) parts.push(`${loc(e.empty)} empty`);
  if (e.focused) parts.push(`${loc(e.focused)} focused`);
  if (e.storage) {
    const st = e.storage;
    const checks = [
      ...(isEmptyMatch(st) ? [] : [match(st)]),
      ...Object.entries(st.json ?? {}).map(([p, v]) => `${p} = ${JSON.stringify(v)}`),
    ];
    parts.push(`${st.area}Storage ${q(st.key)} ${checks.join(' and ') || 'is set'}`);
  }
  if (e.cookie) {
    parts.push(`cookie ${q(e.cookie.name)} ${isEmptyMatch(e.cookie) ? 'is set' : match(e.cookie)}`);
  }
  return parts;
}
