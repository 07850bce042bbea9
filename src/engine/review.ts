import { notFound } from '../domain/errors.ts';
import type { TestStatus } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';

/** What a reviewer can do to a test: only approved tests run in gated runs. */
export const reviewActions = ['approve', 'reject', 'restore'] as const;
export type ReviewAction = (typeof reviewActions)[number];

/** Status a test has after a review action; `restore` sends it back to draft. */
export const statusAfter: Record<ReviewAction, TestStatus> = {
  approve: 'approved',
  reject: 'rejected',
  restore: 'draft',
};

/** Review one test; throws not_found when the project has no such test. Idempotent. */
export async function reviewTest(
  store: Store,
  projectId: string,
  testId: string,
  action: ReviewAction,
  reviewer: string | null,
): Promise<Test> {
  await store.tests.setStatus(projectId, [testId], statusAfter[action], reviewer);
  const test = await store.tests.get(projectId, testId);
  if (!test) throw notFound('test');
  return test;
}

/** Review many tests of one project; ids of other projects or unknown ids are ignored. */
export async function reviewTests(
  store: Store,
  projectId: string,
  ids: string[],
  action: ReviewAction,
  reviewer: string | null,
): Promise<number> {
  return store.tests.setStatus(projectId, [...new Set(ids)], statusAfter[action], reviewer);
}
