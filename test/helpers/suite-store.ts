import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Store } from '../../src/store/connect.ts';
import { openTestStore, type TestDialect, type TestStore } from '../fixtures/engine/test-stores.ts';

export type SuiteStore = Pick<TestStore, 'store' | 'dir'>;

/**
 * A fresh store for the enclosing `describe`: opened before its tests and disposed after them
 * (`each`: a new one for every test). Call it in the describe body; read `store`/`dir` in tests.
 */
export function useTestStore(dialect: TestDialect, opts: { each?: boolean } = {}): SuiteStore {
  let opened: TestStore | undefined;
  (opts.each ? beforeEach : beforeAll)(async () => {
    opened = await openTestStore(dialect);
  });
  (opts.each ? afterEach : afterAll)(async () => {
    await opened?.dispose();
    opened = undefined;
  });
  const current = (): TestStore => {
    if (!opened) throw new Error('the test store is open only inside the tests of its describe');
    return opened;
  };
  return {
    get store(): Store {
      return current().store;
    },
    get dir(): string {
      return current().dir;
    },
  };
}
