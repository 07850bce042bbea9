import * as crypto from 'node:crypto';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are hashed with Argon2id (Node's built-in `crypto.argon2`, Node >= 24.7), at
 * OWASP's recommended cost: 19 MiB, 2 passes, 1 lane. The parameters travel in the PHC string
 * with each hash, so raising them later keeps old hashes verifiable and `needsRehash` tells
 * sign-in to upgrade them. scrypt hashes (N=2^15, r=8, p=1: earlier versions, or a Node
 * without Argon2) still verify, and are rehashed to Argon2id at the next sign-in.
 */
const ARGON2 = { memory: 19_456, passes: 2, parallelism: 1 };
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_BYTES = 16;

/** Passwords shorter than this are refused; longer than the maximum are refused too (DoS). */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

interface Argon2Params {
  message: string | Buffer;
  nonce: Buffer;
  parallelism: number;
  tagLength: number;
  memory: number;
  passes: number;
}
type Argon2 = (
  algorithm: 'argon2id',
  params: Argon2Params,
  cb: (err: Error | null, key: Buffer) => void,
) => void;

// Looked up rather than imported: @types/node may predate it, and Node 22 lacks it.
const argon2 = (crypto as unknown as { argon2?: Argon2 }).argon2;

/** Whether this Node can hash with Argon2id (else new hashes use scrypt). */
export const hasArgon2 = typeof argon2 === 'function';

const normalized = (password: string): string => password.normalize('NFKC');

function deriveArgon2(password: string, salt: Buffer, o: typeof ARGON2): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2!(
      'argon2id',
      { message: normalized(password), nonce: salt, tagLength: KEY_LENGTH, ...o },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

function deriveScrypt(password: string, salt: Buffer, o: typeof SCRYPT): Promise<Buffer> {
  const options: ScryptOptions = { ...o, maxmem: 256 * o.N * o.r };
  return new Promise((resolve, reject) => {
    scrypt(normalized(password), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const b64 = (b: Buffer): string => b.toString('base64url');

/** `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (or `scrypt$N$r$p$salt$hash` without Argon2). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  if (!hasArgon2) {
    const key = await deriveScrypt(password, salt, SCRYPT);
    return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${b64(salt)}$${b64(key)}`;
  }
  const key = await deriveArgon2(password, salt, ARGON2);
  const { memory: m, passes: t, parallelism: p } = ARGON2;
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** Constant-time check of a password against a stored hash; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2id$')) return verifyArgon2(password, stored);
  return verifyScrypt(password, stored);
}

/** True when the stored hash is weaker than what hashPassword writes now (rehash on sign-in). */
export function needsRehash(stored: string): boolean {
  if (!hasArgon2) return false;
  const params = argon2Params(stored);
  if (!params) return true;
  return (
    params.memory < ARGON2.memory ||
    params.passes < ARGON2.passes ||
    params.parallelism !== ARGON2.parallelism
  );
}

function argon2Params(stored: string): typeof ARGON2 | null {
  const m = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$/.exec(stored);
  if (!m) return null;
  return { memory: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) };
}

async function verifyArgon2(password: string, stored: string): Promise<boolean> {
  if (!hasArgon2) return false;
  const params = argon2Params(stored);
  const parts = stored.split('$');
  // ['', 'argon2id', 'v=19', 'm=…,t=…,p=…', salt, hash]
  if (!params || parts.length !== 6) return false;
  // Bounds so a tampered row cannot make one check cost seconds or gigabytes.
  if (params.memory < 8 || params.memory > 262_144 || params.passes < 1 || params.passes > 10)
    return false;
  if (params.parallelism < 1 || params.parallelism > 8) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (expected.length !== KEY_LENGTH || salt.length < 8) return false;
  const key = await deriveArgon2(password, salt, params);
  return timingSafeEqual(key, expected);
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (!N || !r || !p || N > 2 ** 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await deriveScrypt(password, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}

let dummy: Promise<string> | null = null;
const dummyHash = (): Promise<string> => (dummy ??= hashPassword('greenlight-dummy-password'));

/** Prepare the dummy hash ahead of the first sign-in, so even that one takes the usual time. */
export function warmUpPasswords(): void {
  void dummyHash();
}

/**
 * Spend the same time as a real check when the e-mail is unknown, so the answer's timing does
 * not tell which e-mails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, await dummyHash());
  return false;
}
