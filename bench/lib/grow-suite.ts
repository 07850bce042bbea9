import type { Store } from '../../src/store/connect.ts';

/**
 * Copy a project's approved, passing tests (round robin) until it has `n` approved tests; the
 * copies are ordinary approved tests. Returns the approved tests' ids, oldest first.
 */
export async function growSuite(store: Store, projectId: string, n: number): Promise<string[]> {
  const approved = await store.tests.forSelection(projectId, {});
  const passing = approved.filter((t) => !t.tags.includes('known-failure'));
  const have = approved.length;
  for (let i = 0; have + i < n; i++) {
    const t = passing[i % passing.length];
    if (!t) break;
    await store.tests.create(
      projectId,
      {
        key: `bench-copy-${have + i + 1}`,
        name: `${t.name} (copy ${have + i + 1})`,
        ...(t.suite ? { suite: t.suite } : {}),
        tags: t.tags,
        status: 'approved',
        ...(t.timeoutMs ? { timeout: t.timeoutMs } : {}),
        ...(t.stepTimeoutMs ? { stepTimeout: t.stepTimeoutMs } : {}),
        variables: t.variables,
        steps: t.steps,
      },
      { source: 'bench' },
    );
  }
  return (await store.tests.forSelection(projectId, {})).map((t) => t.id);
}
