import type { TestDocument } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';
import { isUniqueViolation } from '../store/sql-helpers.ts';
import type { ExistingTest } from './generate-dedupe.ts';

const PAGE = 500;

/** Every test of a project (any status), as the generator's dedupe needs them. */
export async function existingTests(store: Store, projectId: string): Promise<ExistingTest[]> {
  const out: ExistingTest[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const { items } = await store.tests.list(projectId, { limit: PAGE, offset });
    out.push(...items.map((t) => ({ key: t.key, name: t.name, steps: t.steps })));
    if (items.length < PAGE) break;
  }
  return out;
}

/**
 * Store generated documents as drafts. A key that appeared meanwhile (a parallel crawl, an
 * import) keeps the test already there: generation proposes, it never overwrites.
 */
export async function storeDrafts(
  store: Store,
  projectId: string,
  docs: readonly TestDocument[],
  opts: { source: string; actor: string },
): Promise<Test[]> {
  const created: Test[] = [];
  for (const doc of docs) {
    try {
      created.push(
        await store.tests.create(projectId, doc, {
          status: 'draft',
          source: opts.source,
          actor: opts.actor,
        }),
      );
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
  }
  return created;
}
