import RE2 from 're2';
import { regexProblem } from '../domain/safe-regex.ts';
import type { TextMatch } from '../domain/steps.ts';
import { StepFailure } from './errors.ts';

/** Whitespace as Playwright's toHaveText sees it: zero-width spaces gone, runs collapsed, trimmed. */
export function normalizeWhitespace(text: string): string {
  return text
    .replace(/\u200b/g, '')
    .trim()
    .replace(/\s+/g, ' ');
}

/** True when the match object has no comparison: then any non-blank text passes. */
export function isEmptyMatch(m: TextMatch): boolean {
  return m.equals === undefined && m.contains === undefined && m.matches === undefined;
}

const compiled = new Map<string, RE2>();

/**
 * The compiled `matches` pattern, with RE2 (linear time: the runner matches page text on the
 * server's event loop, and the pattern is user input); a bad pattern is the test author's
 * mistake, said plainly. Tests saved since patterns are checked never get here with one.
 */
export function matchRegExp(m: TextMatch): RE2 | undefined {
  if (m.matches === undefined) return undefined;
  const flags = m.ignoreCase ? 'i' : '';
  const key = `${flags}/${m.matches}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const problem = regexProblem(m.matches);
  if (problem) throw new StepFailure(problem);
  let re: RE2;
  try {
    re = new RE2(m.matches, flags);
  } catch (e) {
    throw new StepFailure(`invalid regular expression /${m.matches}/: ${(e as Error).message}`);
  }
  if (compiled.size >= 500) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, re);
  return re;
}

/** Whether `actual` passes every comparison given in `m` (all must hold). */
export function matchesText(actual: string, m: TextMatch): boolean {
  const fold = (s: string): string => (m.ignoreCase ? s.toLowerCase() : s);
  if (isEmptyMatch(m)) return /\S/.test(actual);
  if (m.equals !== undefined && fold(actual) !== fold(m.equals)) return false;
  if (m.contains !== undefined && !fold(actual).includes(fold(m.contains))) return false;
  const re = matchRegExp(m);
  if (re && !re.test(actual)) return false;
  return true;
}

/** `to equal "x"`, `to contain "x" and to match /y/ (ignoring case)`; negated `not to equal "x"`. */
export function describeMatch(m: TextMatch, negate = false): string {
  const not = negate ? 'not ' : '';
  const parts: string[] = [];
  if (m.equals !== undefined) parts.push(`${not}to equal ${JSON.stringify(m.equals)}`);
  if (m.contains !== undefined) parts.push(`${not}to contain ${JSON.stringify(m.contains)}`);
  if (m.matches !== undefined) parts.push(`${not}to match /${m.matches}/`);
  if (parts.length === 0) parts.push(negate ? 'to be empty' : 'to be non-empty');
  return parts.join(' and ') + (m.ignoreCase ? ' (ignoring case)' : '');
}

/** Quote a value for an error message, shortening long texts. */
export function shown(value: string | null | undefined, max = 200): string {
  if (value === null || value === undefined) return String(value);
  const v = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(v);
}
