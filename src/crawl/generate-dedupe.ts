import { createHash } from 'node:crypto';
import { parseStep } from '../domain/test-definition.ts';
import type { Step } from '../domain/steps.ts';
import type { TestDocument } from '../domain/test-definition.ts';

/** What the generator compares new tests against: the project's stored tests. */
export interface ExistingTest {
  key: string | null;
  name: string;
  steps: Step[];
}

/** The kinds of test the heuristic generator writes; each is a segment of the stable key. */
export const generatedKinds = [
  'smoke',
  'journey',
  'form-validation',
  'form-submit',
  'api',
] as const;
export type GeneratedKind = (typeof generatedKinds)[number];

const MAX_KEY = 200;

/**
 * The stable key of a generated test, `crawl:<kind>:<subject>`: re-generating after a new crawl
 * yields the same key for the same page, so the store updates instead of duplicating. Long
 * subjects are cut and suffixed with a hash so the key stays unique and within the schema limit.
 */
export function generatedKey(kind: GeneratedKind, subject: string): string {
  const key = `crawl:${kind}:${subject}`;
  if (key.length <= MAX_KEY) return key;
  const hash = createHash('sha256').update(subject).digest('hex').slice(0, 12);
  return `${key.slice(0, MAX_KEY - hash.length - 1)}~${hash}`;
}

/** JSON with object keys sorted, so two equal steps always print the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * One string per test that ignores what does not change behaviour: step labels and timeouts.
 * Steps are re-parsed first so the shorthand forms (a CSS string locator, `wait: 500`) compare
 * equal to their expanded forms, as stored tests hold them.
 */
export function normalisedSteps(steps: readonly unknown[]): string {
  return canonical(
    steps.map((raw) => {
      const parsed = parseStep(raw);
      const step = ('step' in parsed ? parsed.step : raw) as Record<string, unknown>;
      const { name: _name, timeout: _timeout, ...rest } = step;
      return rest;
    }),
  );
}

/**
 * Drop generated tests that already exist (same key, or the same steps under another key) and
 * duplicates among themselves; the first of equal tests wins.
 */
export function dedupeTests(
  generated: readonly TestDocument[],
  existing: readonly ExistingTest[],
): TestDocument[] {
  const keys = new Set(existing.map((t) => t.key).filter((k): k is string => k !== null));
  const shapes = new Set(existing.map((t) => normalisedSteps(t.steps)));
  const out: TestDocument[] = [];
  for (const doc of generated) {
    const shape = normalisedSteps(doc.steps);
    if ((doc.key !== undefined && keys.has(doc.key)) || shapes.has(shape)) continue;
    if (doc.key !== undefined) keys.add(doc.key);
    shapes.add(shape);
    out.push(doc);
  }
  return out;
}
