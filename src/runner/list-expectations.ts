import { describeLocator } from '../domain/locator.ts';
import type { ClassExpectation, TextMatch, TextsExpectation } from '../domain/steps.ts';
import { StepFailure } from './errors.ts';
import { listDiff } from './list-diff.ts';
import { locate, toPlaywright } from './locators.ts';
import { poll, pollElement, statedTimeout, type StepContext } from './step-context.ts';
import { matchesText, matchRegExp, normalizeWhitespace, shown } from './text-match.ts';

/** `"a"`, `contains "a"`, `/a+/` (ignoring case is said once for the whole list). */
function itemLabel(m: TextMatch): string {
  if (m.matches !== undefined) return `/${m.matches}/`;
  if (m.contains !== undefined) return `contains ${shown(m.contains)}`;
  return shown(m.equals ?? '');
}

/** Whether `items` match `got` one by one in order, skipping other texts (Playwright's sequential match). */
function inOrder(items: readonly TextMatch[], got: readonly string[]): boolean {
  let i = 0;
  for (const text of got) {
    const item = items[i];
    if (item && matchesText(text, item)) i++;
  }
  return i === items.length;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The message body: a header, then the diff lines indented under it. */
function withDiff(header: string, lines: readonly string[]): string {
  return [header, ...lines.map((l) => `    ${l}`)].join('\n');
}

/**
 * `texts`: every element's text as a list, like toHaveText([...]) (same order, same count) or
 * toContainText([...]) (these in order, others between). Retried until it holds; a failure shows
 * the list diff.
 */
export async function expectTexts(
  ctx: StepContext,
  spec: TextsExpectation,
  negate = false,
): Promise<void> {
  const exact = spec.equals !== undefined;
  const items: TextMatch[] = (
    spec.equals ?? (spec.contains ?? []).map((contains) => ({ contains }))
  ).map((m) => ({ ...m, ...(spec.ignoreCase ? { ignoreCase: true } : {}) }));
  for (const m of items) matchRegExp(m); // a bad pattern fails now, not after the timeout
  const l = toPlaywright(ctx.page, spec.locator);
  const ok = (got: string[]): boolean =>
    exact
      ? got.length === items.length && items.every((m, i) => matchesText(got[i] ?? '', m))
      : inOrder(items, got);
  const read = async (): Promise<string[]> =>
    (await l.allTextContents()).map((t) => normalizeWhitespace(t));
  const got = await poll(ctx, read, (v) => ok(v) !== negate);
  if (ok(got) !== negate) return;
  const what = `texts of ${describeLocator(spec.locator)}`;
  const list = `[${items.map(itemLabel).join(', ')}]${spec.ignoreCase ? ' (ignoring case)' : ''}`;
  const verb = exact ? 'to be' : 'to contain, in order,';
  if (negate) {
    throw new StepFailure(
      `expected ${what} not ${verb} ${list}, but they were [${got.map((t) => shown(t)).join(', ')}]`,
    );
  }
  const lines = listDiff(
    items.map(itemLabel),
    got.map((t) => shown(t)),
    (i, j) => matchesText(got[j] ?? '', items[i] as TextMatch),
    { extrasAllowed: !exact },
  );
  throw new StepFailure(
    withDiff(
      `expected ${what} ${verb} ${list}, got ${plural(got.length, 'element')} (- expected, + received):`,
      lines,
    ),
  );
}

/** Whether a class attribute has every space-separated class in `wanted` (toContainClass). */
function hasClasses(attr: string, wanted: string): boolean {
  const have = new Set(attr.split(/\s+/).filter(Boolean));
  return wanted
    .split(/\s+/)
    .filter(Boolean)
    .every((c) => have.has(c));
}

/** One class check on one class attribute, and how to say it. */
interface ClassItem {
  ok: (attr: string) => boolean;
  label: string;
}

function classItems(spec: ClassExpectation): ClassItem[] | ClassItem {
  if (spec.matches !== undefined) {
    const re = matchRegExp({ matches: spec.matches }) as NonNullable<
      ReturnType<typeof matchRegExp>
    >;
    return { ok: (a) => re.test(a), label: `to match /${spec.matches}/` };
  }
  if (typeof spec.contains === 'string') {
    const c = spec.contains;
    return { ok: (a) => hasClasses(a, c), label: `to contain ${shown(c)}` };
  }
  if (typeof spec.equals === 'string') {
    const e = spec.equals;
    return { ok: (a) => a === e, label: `to equal ${shown(e)}` };
  }
  if (spec.contains !== undefined) {
    return spec.contains.map((c) => ({ ok: (a) => hasClasses(a, c), label: `has ${shown(c)}` }));
  }
  return (spec.equals ?? []).map((item) => {
    const m: TextMatch = item;
    const re = matchRegExp(m);
    return re
      ? { ok: (a) => re.test(a), label: `/${m.matches}/` }
      : { ok: (a) => a === m.equals, label: shown(m.equals ?? '') };
  });
}

/**
 * `class`: the class attribute of one element (exact like toHaveClass, contained classes like
 * toContainClass, or a pattern), or a list with one entry per element in order.
 */
export async function expectClass(
  ctx: StepContext,
  spec: ClassExpectation,
  negate = false,
): Promise<void> {
  const check = classItems(spec);
  const what = `class of ${describeLocator(spec.locator)}`;
  const not = negate ? 'not ' : '';
  if (!Array.isArray(check)) {
    const l = await locate(ctx, spec.locator);
    const read = async (timeout: number): Promise<string> =>
      (await l.getAttribute('class', { timeout })) ?? '';
    const last = await pollElement(ctx, read, (v) => check.ok(v) !== negate);
    if (last.found && check.ok(last.value) !== negate) return;
    const got = last.found
      ? `got ${shown(last.value)}`
      : `but no element matched within ${statedTimeout(ctx)} ms`;
    throw new StepFailure(`expected ${what} ${not}${check.label}, ${got}`);
  }
  const l = toPlaywright(ctx.page, spec.locator);
  const ok = (got: string[]): boolean =>
    got.length === check.length && check.every((c, i) => c.ok(got[i] ?? ''));
  const read = (): Promise<string[]> =>
    l.evaluateAll((els) => els.map((e) => e.getAttribute('class') ?? ''));
  const got = await poll(ctx, read, (v) => ok(v) !== negate);
  if (ok(got) !== negate) return;
  const list = `[${check.map((c) => c.label).join(', ')}]`;
  const verb = spec.contains !== undefined ? 'to have, one per element,' : 'to be';
  if (negate) {
    throw new StepFailure(
      `expected ${what} not ${verb} ${list}, but they were [${got.map((t) => shown(t)).join(', ')}]`,
    );
  }
  const lines = listDiff(
    check.map((c) => c.label),
    got.map((t) => shown(t)),
    (i, j) => (check[i] as ClassItem).ok(got[j] ?? ''),
  );
  throw new StepFailure(
    withDiff(
      `expected ${what} ${verb} ${list}, got ${plural(got.length, 'element')} (- expected, + received):`,
      lines,
    ),
  );
}
