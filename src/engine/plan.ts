import { AppError } from '../domain/errors.ts';
import type { Selection } from '../domain/run.ts';
import type { Test } from '../domain/test.ts';

/** Drop empty lists and duplicates so stored selections compare and print cleanly. */
export function normalizeSelection(sel: Selection | undefined): Selection {
  const out: Selection = {};
  const clean = (xs: string[] | undefined): string[] => [
    ...new Set((xs ?? []).map((x) => x.trim()).filter((x) => x.length > 0)),
  ];
  const suites = clean(sel?.suites);
  const tags = clean(sel?.tags);
  const testIds = clean(sel?.testIds);
  if (suites.length > 0) out.suites = suites;
  if (tags.length > 0) out.tags = tags;
  if (testIds.length > 0) out.testIds = testIds;
  return out;
}

/** "suites checkout, tags smoke" — for error messages. */
export function describeSelection(sel: Selection): string {
  const parts: string[] = [];
  if (sel.suites) parts.push(`suite${sel.suites.length > 1 ? 's' : ''} ${sel.suites.join(', ')}`);
  if (sel.tags) parts.push(`tag${sel.tags.length > 1 ? 's' : ''} ${sel.tags.join(', ')}`);
  if (sel.testIds) parts.push(`${sel.testIds.length} test id${sel.testIds.length > 1 ? 's' : ''}`);
  return parts.length > 0 ? parts.join(' and ') : 'the project';
}

/** The error for a selection that matched nothing: a run of zero tests must never pass. */
export function noTestsError(sel: Selection): AppError {
  return new AppError(
    'no_tests',
    `No approved tests match ${describeSelection(sel)}; approve tests or change the selection`,
    { selection: sel },
  );
}

/**
 * Order tests for execution: tests with no history first (they may be long, and we learn their
 * duration), then the longest first. With several workers, longest-first keeps one slow test
 * from starting last and stretching the whole run. Ties keep the selection's stable order.
 */
export function planOrder(
  tests: readonly Test[],
  meanDurations: ReadonlyMap<string, number>,
): string[] {
  return tests
    .map((t, i) => ({ id: t.id, i, ms: meanDurations.get(t.id) }))
    .sort((a, b) => {
      if (a.ms === undefined || b.ms === undefined) {
        if (a.ms === b.ms) return a.i - b.i;
        return a.ms === undefined ? -1 : 1;
      }
      return b.ms - a.ms || a.i - b.i;
    })
    .map((t) => t.id);
}
