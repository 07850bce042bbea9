import { randomUUID } from 'node:crypto';
import { createUserInDefaultWorkspace } from '../../src/auth/accounts.ts';
import type { Role, Scope } from '../../src/domain/principal.ts';
import type { Store } from '../../src/store/connect.ts';

/** A quick test password (scrypt-hashed like any other). */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestUser {
  userId: string;
  email: string;
  workspaceId: string;
  /** A personal API key (plaintext) with the given scopes (default: admin). */
  apiKey: string;
}

/** An admin of the default workspace (created with it when missing) and an API key of theirs. */
export async function createAdmin(
  store: Store,
  opts: { email?: string; scopes?: Scope[] } = {},
): Promise<TestUser> {
  return createMember(store, { ...opts, role: 'admin' });
}

/** A user of the default workspace with `role`, and an API key of theirs. */
export async function createMember(
  store: Store,
  opts: { email?: string; role: Role; scopes?: Scope[] },
): Promise<TestUser> {
  const email = opts.email ?? `user-${randomUUID().slice(0, 8)}@example.test`;
  const { user, workspace } = await createUserInDefaultWorkspace(store, {
    email,
    password: TEST_PASSWORD,
    admin: opts.role === 'admin',
    role: opts.role,
  });
  const { token } = await store.apiKeys.create({
    userId: user.id,
    workspaceId: workspace.id,
    name: 'test',
    scopes: opts.scopes ?? ['admin'],
  });
  return { userId: user.id, email, workspaceId: workspace.id, apiKey: token };
}

/** A trigger token (plaintext) of the project. */
export async function createTriggerToken(
  store: Store,
  projectId: string,
  opts: { name?: string; expiresAt?: string | null } = {},
): Promise<string> {
  const { token } = await store.triggerTokens.create(projectId, {
    name: opts.name ?? 'ci',
    expiresAt: opts.expiresAt ?? null,
  });
  return token;
}
