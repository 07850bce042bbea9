import { parseJsonPath, readJsonPath } from '../domain/json-path.ts';
import { describeLocator, type Locator } from '../domain/locator.ts';
import type { CookieExpectation, StorageExpectation } from '../domain/steps.ts';
import { StepFailure } from './errors.ts';
import { asVariable, jsonEquals } from './json-values.ts';
import { locate } from './locators.ts';
import { poll, pollElement, statedTimeout, type StepContext } from './step-context.ts';
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

/** What a storage expectation asks, e.g. `to be set`, `$.length = 2`, for a negated message. */
function storageClaim(spec: StorageExpectation): string {
  const parts = [
    ...(isEmptyMatch(spec) ? [] : [describeMatch(spec)]),
    ...Object.entries(spec.json ?? {}).map(([p, v]) => `to have ${p} = ${JSON.stringify(v)}`),
  ];
  return parts.join(' and ') || 'to be set';
}

/**
 * A localStorage/sessionStorage entry of the page's origin, retried until it matches (negated:
 * until it does not; an entry that is not set satisfies that).
 */
export async function expectStorage(
  ctx: StepContext,
  spec: StorageExpectation,
  negate = false,
): Promise<void> {
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
  const ok = (v: string | null): boolean => (storageMismatch(spec, v) === undefined) !== negate;
  const raw = await poll(ctx, read, ok);
  if (ok(raw)) return;
  const entry = `${spec.area}Storage ${JSON.stringify(spec.key)}`;
  if (negate) {
    throw new StepFailure(`expected ${entry} not ${storageClaim(spec)}, got ${shown(raw)}`);
  }
  throw new StepFailure(`expected ${entry}: ${storageMismatch(spec, raw) ?? ''}`);
}

/** A cookie the page's context would send to the current URL, retried until it matches (or not). */
export async function expectCookie(
  ctx: StepContext,
  spec: CookieExpectation,
  negate = false,
): Promise<void> {
  matchRegExp(spec);
  const read = async (): Promise<string | null> => {
    const url = ctx.page.url();
    const cookies = await ctx.context.cookies(/^https?:/.test(url) ? url : undefined);
    return cookies.find((c) => c.name === spec.name)?.value ?? null;
  };
  const holds = (v: string | null): boolean =>
    v !== null && (isEmptyMatch(spec) || matchesText(v, spec));
  const ok = (v: string | null): boolean => holds(v) !== negate;
  const value = await poll(ctx, read, ok);
  if (ok(value)) return;
  const expected = isEmptyMatch(spec)
    ? negate
      ? 'not to be set'
      : 'to be set'
    : describeMatch(spec, negate);
  const got = value === null ? 'but it is not set' : `got ${shown(value)}`;
  throw new StepFailure(`expected cookie ${JSON.stringify(spec.name)} ${expected}, ${got}`);
}

/** `empty` (like toBeEmpty: an input's value, else the trimmed text) and `focused` (like toBeFocused). */
export async function expectElementState(
  ctx: StepContext,
  loc: Locator,
  state: 'empty' | 'focused',
  negate = false,
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
  const ok = (v: boolean): boolean => v !== negate;
  const last = await pollElement(ctx, read, ok);
  if (last.found && ok(last.value)) return;
  const why = !last.found
    ? `no element matched within ${statedTimeout(ctx)} ms`
    : negate
      ? `it was ${state}`
      : state === 'empty'
        ? 'it had content'
        : 'focus was elsewhere';
  throw new StepFailure(
    `expected ${describeLocator(loc)} ${negate ? 'not ' : ''}to be ${state}, but ${why}`,
  );
}
