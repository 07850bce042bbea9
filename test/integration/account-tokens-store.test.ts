import { beforeAll, describe, expect, it } from 'vitest';
import { createUserInDefaultWorkspace } from '../../src/auth/accounts.ts';
import type { Store } from '../../src/store/connect.ts';
import { dialects } from '../fixtures/engine/test-stores.ts';
import { useTestStore } from '../helpers/suite-store.ts';

// Single-use mailed tokens on SQLite and PostgreSQL: one use wins, even when two race.
describe.each(dialects)('account tokens on %s', (dialect) => {
  const t = useTestStore(dialect);
  let store: Store;
  let userId = '';
  beforeAll(async () => {
    store = t.store;
    const { user } = await createUserInDefaultWorkspace(store, {
      email: `tok-${dialect}-${Date.now()}@example.test`,
      password: 'a long enough password',
    });
    userId = user.id;
  });

  it('a token works once, for its purpose only', async () => {
    const token = await store.accountTokens.create(userId, 'reset', 60_000);
    expect(await store.accountTokens.consume(token, 'verify')).toBeNull();
    const [a, b] = await Promise.all([
      store.accountTokens.consume(token, 'reset'),
      store.accountTokens.consume(token, 'reset'),
    ]);
    expect([a, b].filter((x) => x === userId)).toHaveLength(1);
    expect(await store.accountTokens.consume(token, 'reset')).toBeNull();
  });

  it('expired and voided tokens fail', async () => {
    const expired = await store.accountTokens.create(userId, 'verify', -1);
    expect(await store.accountTokens.consume(expired, 'verify')).toBeNull();
    const voided = await store.accountTokens.create(userId, 'reset', 60_000);
    await store.accountTokens.voidForUser(userId);
    expect(await store.accountTokens.consume(voided, 'reset')).toBeNull();
  });
});
