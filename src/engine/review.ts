import { AppError, notFound } from '../domain/errors.ts';
import type { TestDocument, TestStatus } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';
import type { TestVersion } from '../store/test-history.ts';
import { canonicalJson, diffTestVersions, type TestDiff } from './test-diff.ts';

/** What a reviewer can do to a test: only approved tests run in gated runs. */
export const reviewActions = ['approve', 'reject', 'restore'] as const;
export type ReviewAction = (typeof reviewActions)[number];

/** Status a test has after a review action; `restore` sends it back to draft. */
const statusAfter: Record<ReviewAction, TestStatus> = {
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
  return store.transaction(async (tx) => {
    await tx.tests.setStatus(projectId, [testId], statusAfter[action], reviewer);
    const test = await tx.tests.get(projectId, testId);
    if (!test) throw notFound('test');
    return test;
  });
}

/**
 * Review many tests of one project, all or nothing: an id that is not a test of the project
 * fails the whole request (404 naming it) and changes nothing. Returns how many changed.
 */
export async function reviewTests(
  store: Store,
  projectId: string,
  ids: string[],
  action: ReviewAction,
  reviewer: string | null,
): Promise<number> {
  const unique = [...new Set(ids)];
  return store.transaction(async (tx) => {
    const missing = await tx.tests.missingIds(projectId, unique);
    if (missing.length > 0) {
      throw new AppError(
        'not_found',
        `test not found: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
        { missing },
      );
    }
    return tx.tests.setStatus(projectId, unique, statusAfter[action], reviewer);
  });
}

/** Who edits a test: their name for the history, and whether they are a workspace admin. */
export interface Editor {
  actor: string;
  isAdmin: boolean;
}

/**
 * Edit a test under the review rule: changing the steps of an approved test withdraws its
 * approval (back to `draft`, so it stops running until someone approves it again), unless an
 * admin asks to keep it approved with `keepApproved`. Other fields (name, tags, suite…) keep
 * the status. The edit and its version are one transaction.
 */
export async function editTest(
  store: Store,
  projectId: string,
  testId: string,
  patch: Partial<TestDocument>,
  editor: Editor,
  opts: { keepApproved?: boolean } = {},
): Promise<Test> {
  if (opts.keepApproved && !editor.isAdmin) {
    throw new AppError('forbidden', 'keepApproved needs the admin role.');
  }
  return store.transaction(async (tx) => {
    const current = await tx.tests.get(projectId, testId);
    if (!current) throw notFound('test');
    const stepsChanged =
      patch.steps !== undefined && canonicalJson(patch.steps) !== canonicalJson(current.steps);
    const withdraw = current.status === 'approved' && stepsChanged && !opts.keepApproved;
    const effective: Partial<TestDocument> = withdraw ? { ...patch, status: 'draft' } : patch;
    const note = withdraw
      ? 'steps changed: approval withdrawn'
      : current.status === 'approved' && stepsChanged
        ? 'steps changed: kept approved by an admin'
        : undefined;
    const test = await tx.tests.update(projectId, testId, effective, {
      actor: editor.actor,
      ...(note ? { note } : {}),
    });
    if (!test) throw notFound('test');
    return test;
  });
}

/**
 * Diff two recorded versions of a test; `to` defaults to the latest, `from` to the version
 * before `to` (none for the first version: everything reads as added).
 */
export async function diffTestHistory(
  store: Store,
  projectId: string,
  testId: string,
  q: { from?: number; to?: number },
): Promise<TestDiff> {
  const versions = await store.testHistory.list(projectId, testId);
  const latest = versions[0];
  if (!latest) throw notFound('test');
  const find = (v: number): TestVersion => {
    const found = versions.find((x) => x.version === v);
    if (!found) throw new AppError('not_found', `version ${v} of this test not found`);
    return found;
  };
  const to = q.to !== undefined ? find(q.to) : latest;
  const fromNumber = q.from ?? to.version - 1;
  const from = fromNumber >= 1 || q.from !== undefined ? find(fromNumber) : null;
  return diffTestVersions(from, to);
}
