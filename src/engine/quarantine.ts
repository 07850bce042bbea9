import { notFound } from '../domain/errors.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';

/**
 * Quarantine a test: it keeps running and being reported, but its result never decides a run's
 * verdict (it counts as `quarantined`). Quarantining again replaces the reason.
 */
export async function quarantineTest(
  store: Store,
  projectId: string,
  testId: string,
  q: { reason: string; by: string; at: Date },
): Promise<Test> {
  const test = await store.tests.setQuarantine(projectId, testId, {
    reason: q.reason,
    by: q.by,
    at: q.at.toISOString(),
  });
  if (!test) throw notFound('test');
  return test;
}

/** Release a test from quarantine (a no-op for a test that is not quarantined). */
export async function releaseTest(store: Store, projectId: string, testId: string): Promise<Test> {
  const test = await store.tests.setQuarantine(projectId, testId, null);
  if (!test) throw notFound('test');
  return test;
}
