import type { Locator as PwLocator } from 'playwright-core';
import { describeLocator, type Locator } from '../domain/locator.ts';
import type { ConsoleEntry } from '../domain/run.ts';
import type { ExpectStep, NegatedExpectations, TextMatch } from '../domain/steps.ts';
import { expectAccessible } from './accessibility.ts';
import { isTimeoutError, StepFailure } from './errors.ts';
import { expectClass, expectTexts } from './list-expectations.ts';
import { locate, statesContent, toPlaywright } from './locators.ts';
import { expectCookie, expectElementState, expectStorage } from './page-expectations.ts';
import { poll, pollElement, statedTimeout, type Found, type StepContext } from './step-context.ts';
import {
  describeMatch,
  isEmptyMatch,
  matchesText,
  matchRegExp,
  normalizeWhitespace,
  shown,
} from './text-match.ts';

type ExpectSpec = ExpectStep['expect'];

/** Check every assertion of an expect step, in a fixed order, within one step timeout. */
export async function runExpect(ctx: StepContext, spec: ExpectSpec): Promise<void> {
  const deadline = performance.now() + ctx.timeout;
  // Each assertion gets what is left of the step's time, so the step as a whole keeps its timeout.
  const sub = (): StepContext => ({
    ...ctx,
    timeout: Math.max(1, Math.round(deadline - performance.now())),
    stepTimeout: ctx.timeout,
  });
  if (spec.url) await expectUrl(sub(), spec.url);
  if (spec.title) await expectTitle(sub(), spec.title);
  if (spec.visible) await expectVisible(sub(), spec.visible);
  if (spec.hidden) await expectHidden(sub(), spec.hidden);
  if (spec.enabled) await expectState(sub(), spec.enabled, 'enabled');
  if (spec.disabled) await expectState(sub(), spec.disabled, 'disabled');
  if (spec.checked) await expectState(sub(), spec.checked, 'checked');
  if (spec.text) await expectText(sub(), spec.text, 'text');
  if (spec.texts) await expectTexts(sub(), spec.texts);
  if (spec.value) await expectText(sub(), spec.value, 'value');
  if (spec.attribute) await expectAttribute(sub(), spec.attribute);
  if (spec.class) await expectClass(sub(), spec.class);
  if (spec.count) await expectCount(sub(), spec.count);
  if (spec.noConsoleErrors) {
    const ignore = spec.noConsoleErrors === true ? [] : (spec.noConsoleErrors.ignore ?? []);
    expectNoConsoleErrors(ctx, ignore);
  }
  if (spec.empty) await expectElementState(sub(), spec.empty, 'empty');
  if (spec.focused) await expectElementState(sub(), spec.focused, 'focused');
  if (spec.storage) await expectStorage(sub(), spec.storage);
  if (spec.cookie) await expectCookie(sub(), spec.cookie);
  if (spec.not) await runNegated(sub, spec.not);
  if (spec.accessible) await expectAccessible(sub(), spec.accessible);
}

/**
 * `not: { … }`: each assertion must not hold, with Playwright's `.not` semantics: retried until
 * it does not hold; an element that is not there fails, except for visibility (not visible is
 * hidden) and a missing attribute, storage entry or cookie, which satisfy "not".
 */
async function runNegated(sub: () => StepContext, spec: NegatedExpectations): Promise<void> {
  if (spec.url) await waitForUrl(sub(), spec.url, true);
  if (spec.title) await expectTitle(sub(), spec.title, true);
  // Playwright's not.toBeVisible is toBeHidden and the other way round.
  if (spec.visible) await expectHidden(sub(), spec.visible);
  if (spec.hidden) await expectVisible(sub(), spec.hidden);
  if (spec.enabled) await expectState(sub(), spec.enabled, 'enabled', true);
  if (spec.disabled) await expectState(sub(), spec.disabled, 'disabled', true);
  if (spec.checked) await expectState(sub(), spec.checked, 'checked', true);
  if (spec.text) await expectText(sub(), spec.text, 'text', true);
  if (spec.texts) await expectTexts(sub(), spec.texts, true);
  if (spec.value) await expectText(sub(), spec.value, 'value', true);
  if (spec.attribute) await expectAttribute(sub(), spec.attribute, true);
  if (spec.class) await expectClass(sub(), spec.class, true);
  if (spec.count) await expectCount(sub(), spec.count, true);
  if (spec.empty) await expectElementState(sub(), spec.empty, 'empty', true);
  if (spec.focused) await expectElementState(sub(), spec.focused, 'focused', true);
  if (spec.storage) await expectStorage(sub(), spec.storage, true);
  if (spec.cookie) await expectCookie(sub(), spec.cookie, true);
}

/** A predicate for a URL match: `equals` is resolved against baseUrl, others see the full URL. */
function urlPredicate(m: TextMatch, baseUrl: string): (url: string) => boolean {
  const equals = m.equals !== undefined ? resolveUrl(m.equals, baseUrl) : undefined;
  const rest: TextMatch = { ...m, equals };
  return (url) => matchesText(url, rest);
}

function resolveUrl(url: string, baseUrl: string): string {
  try {
    return new URL(url, baseUrl || undefined).href;
  } catch {
    return url;
  }
}

/** Wait until the page URL matches (or, negated, does not); used by `expect: url` and `wait: url`. */
export async function waitForUrl(ctx: StepContext, m: TextMatch, negate = false): Promise<void> {
  matchRegExp(m); // a bad pattern fails now, not after the timeout
  const matches = urlPredicate(m, ctx.baseUrl);
  const ok = (url: string): boolean => matches(url) !== negate;
  if (ok(ctx.page.url())) return;
  try {
    await ctx.page.waitForURL((u) => ok(u.href), { timeout: ctx.timeout, waitUntil: 'commit' });
  } catch (e) {
    if (!isTimeoutError(e)) throw e;
    const expected: TextMatch = {
      ...m,
      ...(m.equals !== undefined ? { equals: resolveUrl(m.equals, ctx.baseUrl) } : {}),
    };
    throw new StepFailure(
      `expected URL ${describeMatch(expected, negate)}, got ${shown(ctx.page.url())}`,
    );
  }
}

const expectUrl = waitForUrl;

async function expectTitle(ctx: StepContext, m: TextMatch, negate = false): Promise<void> {
  matchRegExp(m);
  const ok = (t: string): boolean => matchesText(t, m) !== negate;
  const title = await poll(ctx, async () => normalizeWhitespace(await ctx.page.title()), ok);
  if (!ok(title)) {
    throw new StepFailure(`expected title ${describeMatch(m, negate)}, got ${shown(title)}`);
  }
}

async function expectVisible(ctx: StepContext, loc: Locator): Promise<void> {
  const l = await locate(ctx, loc, { mayHeal: !statesContent(loc) });
  try {
    await l.waitFor({ state: 'visible', timeout: ctx.timeout });
  } catch (e) {
    if (!isTimeoutError(e)) throw e;
    const n = await l.count().catch(() => 0);
    const why = n === 0 ? 'no element matched' : 'it was hidden';
    throw new StepFailure(
      `expected ${describeLocator(loc)} to be visible, but ${why} after ${statedTimeout(ctx)} ms`,
    );
  }
}

async function expectHidden(ctx: StepContext, loc: Locator): Promise<void> {
  try {
    await toPlaywright(ctx.page, loc).waitFor({ state: 'hidden', timeout: ctx.timeout });
  } catch (e) {
    if (!isTimeoutError(e)) throw e;
    throw new StepFailure(
      `expected ${describeLocator(loc)} to be hidden, but it was still visible after ${statedTimeout(ctx)} ms`,
    );
  }
}

async function expectState(
  ctx: StepContext,
  loc: Locator,
  state: 'enabled' | 'disabled' | 'checked',
  negate = false,
): Promise<void> {
  const l = await locate(ctx, loc, { mayHeal: !statesContent(loc) });
  const read = (timeout: number): Promise<boolean> =>
    state === 'checked'
      ? l.isChecked({ timeout })
      : state === 'enabled'
        ? l.isEnabled({ timeout })
        : l.isDisabled({ timeout });
  const ok = (v: boolean): boolean => v !== negate;
  const last = await pollElement(ctx, read, ok);
  if (last.found && ok(last.value)) return;
  const opposite = { enabled: 'disabled', disabled: 'enabled', checked: 'not checked' }[state];
  const why = last.found
    ? `it was ${negate ? state : opposite}`
    : `no element matched within ${statedTimeout(ctx)} ms`;
  throw new StepFailure(
    `expected ${describeLocator(loc)} ${negate ? 'not ' : ''}to be ${state}, but ${why}`,
  );
}

async function expectText(
  ctx: StepContext,
  spec: TextMatch & { locator: Locator },
  what: 'text' | 'value',
  negate = false,
): Promise<void> {
  matchRegExp(spec);
  const l = await locate(ctx, spec.locator);
  const ok = (v: string): boolean => matchesText(v, spec) !== negate;
  const read = async (timeout: number): Promise<string> =>
    what === 'text'
      ? normalizeWhitespace((await l.textContent({ timeout })) ?? '')
      : l.inputValue({ timeout });
  const last = await pollElement(ctx, read, ok);
  if (last.found && ok(last.value)) return;
  throw new StepFailure(
    `expected ${what} of ${describeLocator(spec.locator)} ${describeMatch(spec, negate)}, ${gotText(last, statedTimeout(ctx))}`,
  );
}

function gotText(r: Found<string | null>, timeout: number): string {
  if (!r.found) return `but no element matched within ${timeout} ms`;
  return r.value === null ? 'but the attribute is missing' : `got ${shown(r.value)}`;
}

async function expectAttribute(
  ctx: StepContext,
  spec: TextMatch & { locator: Locator; attribute: string },
  negate = false,
): Promise<void> {
  matchRegExp(spec);
  const l = await locate(ctx, spec.locator);
  // With no comparison the attribute only has to be present (like toHaveAttribute(name));
  // negated, a missing attribute passes (like not.toHaveAttribute).
  const holds = (v: string | null): boolean =>
    v !== null && (isEmptyMatch(spec) || matchesText(v, spec));
  const ok = (v: string | null): boolean => holds(v) !== negate;
  const last = await pollElement(ctx, (timeout) => l.getAttribute(spec.attribute, { timeout }), ok);
  if (last.found && ok(last.value)) return;
  const expected = isEmptyMatch(spec)
    ? negate
      ? 'to be absent'
      : 'to be present'
    : describeMatch(spec, negate);
  throw new StepFailure(
    `expected attribute ${JSON.stringify(spec.attribute)} of ${describeLocator(spec.locator)} ${expected}, ${gotText(last, statedTimeout(ctx))}`,
  );
}

async function expectCount(
  ctx: StepContext,
  spec: { locator: Locator; equals?: number; min?: number; max?: number },
  negate = false,
): Promise<void> {
  const l: PwLocator = toPlaywright(ctx.page, spec.locator);
  const bounds = { ...spec };
  if (bounds.equals === undefined && bounds.min === undefined && bounds.max === undefined) {
    bounds.min = 1;
  }
  const inBounds = (n: number): boolean =>
    (bounds.equals === undefined || n === bounds.equals) &&
    (bounds.min === undefined || n >= bounds.min) &&
    (bounds.max === undefined || n <= bounds.max);
  const ok = (n: number): boolean => inBounds(n) !== negate;
  const n = await poll(ctx, () => l.count(), ok);
  if (ok(n)) return;
  const want = [
    bounds.equals !== undefined ? `${bounds.equals}` : '',
    bounds.min !== undefined ? `at least ${bounds.min}` : '',
    bounds.max !== undefined ? `at most ${bounds.max}` : '',
  ].filter(Boolean);
  throw new StepFailure(
    `expected count of ${describeLocator(spec.locator)} ${negate ? 'not ' : ''}to be ${want.join(' and ')}, got ${n}`,
  );
}

// Enough to tell what went wrong; the full list is in the result's consoleErrors.
const shownConsoleErrors = 3;

/**
 * Nothing to wait for: absence of errors can only be checked for what has happened so far.
 * The message is masked with the rest of the result, like every other failure.
 */
function expectNoConsoleErrors(ctx: StepContext, ignore: string[]): void {
  const patterns = ignore.map((p) => matchRegExp({ matches: p }) as RegExp);
  const errors = ctx.consoleErrors.filter((e) => !patterns.some((re) => re.test(e.text)));
  if (errors.length === 0) return;
  const listed = errors.slice(0, shownConsoleErrors).map(describeConsoleEntry);
  const more =
    errors.length > shownConsoleErrors ? ` and ${errors.length - shownConsoleErrors} more` : '';
  throw new StepFailure(
    `expected no console errors, got ${errors.length}: ${listed.join('; ')}${more}`,
  );
}

function describeConsoleEntry(e: ConsoleEntry): string {
  const kind = e.type === 'pageerror' ? 'uncaught error' : 'console error';
  return `${kind} ${shown(e.text)}${e.url ? ` at ${e.url}` : ''}`;
}
