import { parseJsonPath, readJsonPath } from '../domain/json-path.ts';
import { describeLocator, type Locator } from '../domain/locator.ts';
import type { CookieExpectation, StorageExpectation } from '../domain/steps.ts';
import { StepFailure } from './errors.ts';
import { asVariable, jsonEquals } from './json-values.ts';
import { locate } from './locators.ts';
import { poll, pollElement, type StepContext } from './step-context.ts';
import { describeMatch, isEmptyMatch, matchesText, matchRegExp, shown } from './text-match.ts';

/** Why a stored value does not meet the expectation, or undefined when it does. */
function storageMismatch(spec: StorageExpectation, raw: string | null): string | undefined {
  if (raw === null) return 'it is not set';
  if (!isEmptyMatch(spec) && !matchesText(raw, spec)) {
    return `expected ${describeMatch(spec)}, got ${shown(raw)}`;
  }
  if (spec.json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return `its value is not JSON: ${shown(raw)}`;
  }
  for (const [path, expected] of Object.entries(spec.json)) {
    const actual = readJsonPath(value, parseJsonPath(path));
    if (!jsonEquals(actual, expected)) {
      return `expected ${path} = ${JSON.stringify(expected)}, got ${actual === undefined ? 'nothing' : shown(asVariable(actual))}`;
    }
  }
  return undefined;
}

/** A localStorage/sessionStorage entry of the page's origin, retried until it matches. */
export async function expectStorage(ctx: StepContext, spec: StorageExpectation): Promise<void> {
  matchRegExp(spec);
  for (const path of Object.keys(spec.json ?? {})) {
    try {
      parseJsonPath(path); // a typo fails now, not after the timeout
    } catch (e) {
      throw new StepFailure((e as Error).message);
    }
  }
  const read = (): Promise<string | null> =>
    ctx.page.evaluate(
      ([area, key]) => (area === 'session' ? sessionStorage : localStorage).getItem(key),
      [spec.area, spec.key] as const,
    );
  const raw = await poll(ctx, read, (v) => storageMismatch(spec, v) === undefined);
  const why = storageMismatch(spec, raw);
  if (why === undefined) return;
  throw new StepFailure(`expected ${spec.area}Storage ${JSON.stringify(spec.key)}: ${why}`);
}

/** A cookie the page's context would send to the current URL, retried until it matches. */
export async function expectCookie(ctx: StepContext, spec: CookieExpectation): Promise<void> {
  matchRegExp(spec);
  const read = async (): Promise<string | null> => {
    const url = ctx.page.url();
    const cookies = await ctx.context.cookies(/^https?:/.test(url) ? url : undefined);
    return cookies.find((c) => c.name === spec.name)?.value ?? null;
  };
  const ok = (v: string | null): boolean =>
    v !== null && (isEmptyMatch(spec) || matchesText(v, spec));
  const value = await poll(ctx, read, ok);
  if (ok(value)) return;
  const expected = isEmptyMatch(spec) ? 'to be set' : describeMatch(spec);
  const got = value === null ? 'but it is not set' : `got ${shown(value)}`;
  throw new StepFailure(`expected cookie ${JSON.stringify(spec.name)} ${expected}, ${got}`);
}

/** `empty` (like toBeEmpty: an input's value, else the trimmed text) and `focused` (like toBeFocused). */
export async function expectElementState(
  ctx: StepContext,
  loc: Locator,
  state: 'empty' | 'focused',
): Promise<void> {
  const l = await locate(ctx, loc);
  const read = (timeout: number): Promise<boolean> =>
    l.evaluate(
      (el, s) => {
        if (s === 'focused') return el.ownerDocument.activeElement === el;
        if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
          return el.value === '';
        }
        // Playwright's `empty` state: no text once trimmed (child elements without text count as empty).
        return (el.textContent ?? '').trim() === '';
      },
      state,
      { timeout },
    );
  const last = await pollElement(ctx, read, (v) => v);
  if (last.found && last.value) return;
  const why = last.found
    ? state === 'empty'
      ? 'it had content'
      : 'focus was elsewhere'
    : `no element matched within ${ctx.timeout} ms`;
  throw new StepFailure(`expected ${describeLocator(loc)} to be ${state}, but ${why}`);
}
