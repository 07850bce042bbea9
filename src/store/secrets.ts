import { createHash, randomBytes } from 'node:crypto';

/** Characters of a token shown in lists to tell tokens apart: the prefix plus this many. */
const SHOWN_CHARS = 8;

/** A freshly minted secret: the plaintext (shown once), its hash (stored) and its display prefix. */
export interface MintedSecret {
  token: string;
  hash: string;
  prefix: string;
}

/** SHA-256 (hex) of a presented secret: what is stored and looked up, never the secret itself. */
export function hashSecret(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * A 256-bit random secret as `<kind><base64url>`. A high-entropy secret needs no slow hash: a
 * SHA-256 of it cannot be reversed by guessing, and it keeps the per-request lookup cheap.
 */
export function mintSecret(kind: string): MintedSecret {
  const token = kind + randomBytes(32).toString('base64url');
  return { token, hash: hashSecret(token), prefix: token.slice(0, kind.length + SHOWN_CHARS) };
}
