import { scopeLocator, type Locator } from './locator.ts';
import type { Step } from './steps.ts';

type Mapper = (loc: Locator) => Locator;

/** Actions whose value is the one locator they act on. */
const elementActions = [
  'dispatch',
  'click',
  'dblclick',
  'fill',
  'select',
  'check',
  'uncheck',
  'hover',
  'upload',
] as const;
/** Expectations whose value is a locator. */
const locatorAssertions = [
  'visible',
  'hidden',
  'enabled',
  'disabled',
  'checked',
  'empty',
  'focused',
] as const;
/** Expectations whose value holds a locator under `locator`. */
const nestedAssertions = ['text', 'texts', 'value', 'attribute', 'class', 'count'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function mapAssertions(spec: Obj, f: Mapper): Obj {
  const out: Obj = { ...spec };
  for (const k of locatorAssertions) if (isObj(out[k])) out[k] = f(out[k] as Locator);
  for (const k of nestedAssertions) {
    const a = out[k];
    if (isObj(a) && isObj(a.locator)) out[k] = { ...a, locator: f(a.locator as Locator) };
  }
  return out;
}

/**
 * A copy of a parsed step with every locator it holds passed through `f` (the element of an
 * action, `on`, `from`, waits, expectations and their `not`, a screenshot's element and masks).
 * Page-wide parts (URLs, titles, storage, requests) are left as they are.
 */
function mapStepLocators(step: Step, f: Mapper): Step {
  const s: Obj = { ...(step as unknown as Obj) };
  for (const k of elementActions) if (isObj(s[k])) s[k] = f(s[k] as Locator);
  if (isObj(s.on)) s.on = f(s.on as Locator);
  if (isObj(s.from)) s.from = f(s.from as Locator);
  if (isObj(s.wait)) {
    const w: Obj = { ...s.wait };
    for (const k of ['visible', 'hidden', 'attached', 'detached']) {
      if (isObj(w[k])) w[k] = f(w[k] as Locator);
    }
    s.wait = w;
  }
  if (isObj(s.expect)) {
    const e = mapAssertions(s.expect, f);
    if (isObj(e.not)) e.not = mapAssertions(e.not, f);
    s.expect = e;
  }
  if (isObj(s.screenshot)) {
    const sc: Obj = { ...s.screenshot };
    if (isObj(sc.locator)) sc.locator = f(sc.locator as Locator);
    if (isObj(sc.compare) && Array.isArray(sc.compare.mask)) {
      sc.compare = { ...sc.compare, mask: (sc.compare.mask as Locator[]).map(f) };
    }
    s.screenshot = sc;
  }
  return s as unknown as Step;
}

/** The step as it runs inside a `within` block: each of its locators looked up in `container`. */
export function scopeStep(step: Step, container: Locator): Step {
  return mapStepLocators(step, (loc) => scopeLocator(loc, container));
}
