import type { Role } from '../domain/principal.ts';
import { NO_PASSWORD } from '../store/accounts.ts';
import type { Store } from '../store/connect.ts';
import { ensureDefaultWorkspace } from './accounts.ts';
import type { SsoProviderConfig } from './sso-config.ts';
import { SsoError, type ProviderProfile } from './sso-errors.ts';

/** The domain of an address, lower-cased; '' when it has none. */
const domainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/**
 * The user a provider sign-in is for. The provider must vouch for the address, and its domain
 * must be allowed, at every sign-in. Then: the account already linked to this provider account;
 * else the account with this address, which gets linked (accounts link by verified e-mail);
 * else, when the provider may create accounts, a new one in the default workspace (its admin
 * when it is the very first account) with no password.
 */
export async function userForProfile(
  store: Store,
  provider: SsoProviderConfig,
  profile: ProviderProfile,
): Promise<{ userId: string; created: boolean }> {
  if (!profile.email || !profile.emailVerified) {
    throw new SsoError(
      'email_not_verified',
      `${provider.name} did not vouch for an e-mail address of this account`,
    );
  }
  const email = profile.email;
  if (provider.allowedDomains.length && !provider.allowedDomains.includes(domainOf(email))) {
    throw new SsoError('domain_not_allowed', `${domainOf(email)} is not an allowed domain`);
  }
  const linked = await store.userIdentities.find(provider.id, profile.subject);
  if (linked) {
    await store.userIdentities.touch(linked.id, email);
    const user = await store.accounts.getUser(linked.userId);
    if (user?.email === email) await store.accounts.markEmailVerified(user.id);
    return { userId: linked.userId, created: false };
  }
  const existing = await store.accounts.findByEmail(email);
  if (existing) {
    await store.userIdentities.link({
      userId: existing.id,
      provider: provider.id,
      subject: profile.subject,
      email,
    });
    await store.accounts.markEmailVerified(existing.id);
    return { userId: existing.id, created: false };
  }
  if (!provider.autoCreate) {
    throw new SsoError('no_account', `no Greenlight account uses ${email}`);
  }
  return store.transaction(async (tx) => {
    const first = (await tx.accounts.countUsers()) === 0;
    const workspace = await ensureDefaultWorkspace(tx);
    const user = await tx.accounts.createUser({
      email,
      name: profile.name,
      passwordHash: NO_PASSWORD,
      emailVerified: true,
    });
    const role: Role = first ? 'admin' : provider.role;
    await tx.accounts.setRole(workspace.id, user.id, role);
    await tx.userIdentities.link({
      userId: user.id,
      provider: provider.id,
      subject: profile.subject,
      email,
    });
    return { userId: user.id, created: true };
  });
}
