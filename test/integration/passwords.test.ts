import { randomBytes, scryptSync } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { checkLogin } from '../../src/auth/accounts.ts';
import { hasArgon2, hashPassword, needsRehash, verifyPassword } from '../../src/auth/passwords.ts';
import { openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const t of stores) await t.dispose();
});

/** A hash as earlier versions wrote it. */
function legacyScrypt(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, {
    N: 2 ** 15,
    r: 8,
    p: 1,
    maxmem: 64 * 1024 * 1024,
  });
  return `scrypt$32768$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

it('runs on a Node with Argon2id (the bootstrap installs Node 24)', () => {
  expect(hasArgon2).toBe(true);
});

it('hashes with Argon2id, a fresh salt each time, and verifies', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[\w-]{22}\$[\w-]{43}$/);
  expect(a).not.toBe(b);
  expect(await verifyPassword('correct horse battery', a)).toBe(true);
  expect(await verifyPassword('correct horse batterY', a)).toBe(false);
  expect(needsRehash(a)).toBe(false);
});

it('still verifies scrypt hashes of earlier versions, and asks for a rehash', async () => {
  const old = legacyScrypt('s3cret-pass');
  expect(await verifyPassword('s3cret-pass', old)).toBe(true);
  expect(await verifyPassword('other-pass', old)).toBe(false);
  expect(needsRehash(old)).toBe(true);
  expect(needsRehash('$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$aGFzaA')).toBe(true);
});

it('refuses malformed and costly tampered hashes without deriving', async () => {
  for (const bad of [
    '',
    'plain',
    '$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$' + 'A'.repeat(43),
    '$argon2id$v=19$m=19456,t=99,p=1$c2FsdHNhbHRzYWx0$' + 'A'.repeat(43),
    '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$short',
    'scrypt$1048577$8$1$c2FsdA$' + 'A'.repeat(43),
  ]) {
    expect(await verifyPassword('x', bad), bad).toBe(false);
  }
});

it('upgrades a scrypt hash to Argon2id at the next sign-in', async () => {
  const t = await openTestStore('sqlite');
  stores.push(t);
  const user = await t.store.accounts.createUser({
    email: 'old@example.test',
    passwordHash: legacyScrypt('long-time-user'),
  });
  expect(await checkLogin(t.store, 'old@example.test', 'wrong-password')).toBeNull();
  expect((await t.store.accounts.findByEmail('old@example.test'))?.passwordHash).toMatch(
    /^scrypt\$/,
  );
  expect((await checkLogin(t.store, 'old@example.test', 'long-time-user'))?.id).toBe(user.id);
  const after = (await t.store.accounts.findByEmail('old@example.test'))?.passwordHash ?? '';
  expect(after).toMatch(/^\$argon2id\$/);
  expect(await checkLogin(t.store, 'old@example.test', 'long-time-user')).not.toBeNull();
});
