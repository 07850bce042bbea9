import { AppError } from '../domain/errors.ts';
import type { Role } from '../domain/principal.ts';
import { NO_PASSWORD, type User, type Workspace } from '../store/accounts.ts';
import type { Store } from '../store/connect.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './passwords.ts';

/** The one answer to a wrong e-mail or a wrong password, so neither is revealed. */
export const INVALID_LOGIN = 'Invalid email or password.';

export interface Registered {
  user: User;
  workspace: Workspace;
  role: Role;
}

/**
 * The default workspace, created (and given every project without a workspace) when missing.
 * Runs inside the caller's transaction.
 */
export async function ensureDefaultWorkspace(tx: Store): Promise<Workspace> {
  const existing = await tx.accounts.defaultWorkspace();
  if (existing) return existing;
  const ws = await tx.accounts.createWorkspace('Default', true);
  await tx.accounts.adoptOrphanProjects(ws.id);
  return ws;
}

/**
 * Self-registration. The first user ever becomes admin of the default workspace, which owns
 * every existing project. Later users get a workspace of their own (as its admin) and see
 * nothing of anyone else's until an admin adds them; `openRegistration: false` refuses them.
 */
export async function register(
  store: Store,
  i: { email: string; password: string; name?: string | null },
  opts: { openRegistration: boolean },
): Promise<Registered> {
  const passwordHash = await hashPassword(i.password);
  return store.transaction(async (tx) => {
    const first = (await tx.accounts.countUsers()) === 0;
    if (!first && !opts.openRegistration) {
      throw new AppError('forbidden', 'Registration is closed; ask an admin to add you.');
    }
    const user = await tx.accounts.createUser({ email: i.email, name: i.name, passwordHash });
    const workspace = first
      ? await ensureDefaultWorkspace(tx)
      : await tx.accounts.createWorkspace(`${i.name?.trim() || user.email}'s workspace`);
    await tx.accounts.setRole(workspace.id, user.id, 'admin');
    return { user, workspace, role: 'admin' as const };
  });
}

/**
 * Head-less set-up (`greenlight user create`): the first user, or any with `admin`, is admin of
 * the default workspace; others join it with `role` (editor by default).
 */
export async function createUserInDefaultWorkspace(
  store: Store,
  i: { email: string; password: string; name?: string | null; admin?: boolean; role?: Role },
): Promise<Registered> {
  const passwordHash = await hashPassword(i.password);
  return store.transaction(async (tx) => {
    const first = (await tx.accounts.countUsers()) === 0;
    const workspace = await ensureDefaultWorkspace(tx);
    // Made by an operator, who vouches for the address: no verification mail.
    const user = await tx.accounts.createUser({
      email: i.email,
      name: i.name,
      passwordHash,
      emailVerified: true,
    });
    const role: Role = first || i.admin ? 'admin' : (i.role ?? 'editor');
    await tx.accounts.setRole(workspace.id, user.id, role);
    return { user, workspace, role };
  });
}

/** The user whose e-mail and password match, else null after the same amount of work. */
export async function checkLogin(
  store: Store,
  email: string,
  password: string,
): Promise<User | null> {
  const found = await store.accounts.findByEmail(email);
  // An account made through a sign-in provider has no password: the same work as an unknown one.
  if (!found || found.passwordHash === NO_PASSWORD) {
    return verifyAgainstDummy(password).then(() => null);
  }
  if (!(await verifyPassword(password, found.passwordHash))) return null;
  // The password is at hand only now: an older or cheaper hash is upgraded while it is.
  if (needsRehash(found.passwordHash)) {
    await store.accounts.setPasswordHash(found.id, await hashPassword(password));
  }
  const { passwordHash: _omit, ...user } = found;
  return user;
}

/** The workspace a sign-in lands in: the one asked for if the user belongs to it, else the oldest. */
export async function signInWorkspace(
  store: Store,
  userId: string,
  wanted?: string,
): Promise<{ workspaceId: string; role: Role }> {
  const all = await store.accounts.workspacesOf(userId);
  const pick = (wanted && all.find((w) => w.workspaceId === wanted)) || all[0];
  if (!pick) throw new AppError('forbidden', 'This account belongs to no workspace.');
  return pick;
}

/** Change a password after checking the current one; ends the user's other sessions. */
export async function changePassword(
  store: Store,
  userId: string,
  current: string,
  next: string,
  keepSessionId?: string,
): Promise<void> {
  const user = await store.accounts.getUser(userId);
  if (!user || !(await verifyPassword(current, user.passwordHash))) {
    throw new AppError('forbidden', 'Current password is wrong.');
  }
  await store.accounts.setPasswordHash(userId, await hashPassword(next));
  await store.sessions.deleteForUser(userId, keepSessionId);
}

/**
 * Add a member to a workspace: an existing account is attached (its password untouched), a new
 * e-mail needs a password and gets an account. Re-adding changes the role.
 */
export async function addMember(
  store: Store,
  workspaceId: string,
  i: { email: string; role: Role; password?: string; name?: string | null },
): Promise<{ user: User; created: boolean }> {
  const existing = await store.accounts.findByEmail(i.email);
  if (existing) {
    await store.accounts.setRole(workspaceId, existing.id, i.role);
    const { passwordHash: _omit, ...user } = existing;
    return { user, created: false };
  }
  if (!i.password) {
    throw new AppError('validation_failed', 'password is required to create a new account', [
      { path: 'body.password', message: 'required for a new account' },
    ]);
  }
  const passwordHash = await hashPassword(i.password);
  return store.transaction(async (tx) => {
    // An admin typed the address in: they vouch for it, as for `greenlight user create`.
    const user = await tx.accounts.createUser({
      email: i.email,
      name: i.name,
      passwordHash,
      emailVerified: true,
    });
    await tx.accounts.setRole(workspaceId, user.id, i.role);
    return { user, created: true };
  });
}
