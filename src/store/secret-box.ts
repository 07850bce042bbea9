import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/** Prefix of every value encrypted at rest; a stored value without it is legacy plaintext. */
const PREFIX = 'enc:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;

/** Names the variable a wrong key comes from, never the key or a secret. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** Encrypts and decrypts secret values stored in the database (AES-256-GCM). */
export interface SecretBox {
  /** `enc:v1:<iv>:<tag>:<ciphertext>` (base64 parts); a fresh IV per call. */
  encrypt(plain: string): string;
  /** The plaintext of a stored value; legacy plaintext (no prefix) is returned as it is. */
  decrypt(stored: string): string;
  /**
   * A keyed digest (HMAC-SHA-256, base64url) for values stored only to be matched again, such
   * as a client address: the same on every process with the same key, not reversible by trying
   * all 2^32 IPv4 addresses without the key.
   */
  digest(value: string): string;
}

/** True when a stored value is in the encrypted form. */
export const isEncrypted = (stored: string): boolean => stored.startsWith(PREFIX);

const wrongKey = (): SecretKeyError =>
  new SecretKeyError(
    'cannot decrypt stored secrets: GREENLIGHT_SECRET_KEY (or <dataDir>/secret.key) is not the ' +
      'key they were encrypted with',
  );

/** A box over a 32-byte key. */
export function secretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) {
    throw new SecretKeyError(`GREENLIGHT_SECRET_KEY must be ${KEY_BYTES} bytes`);
  }
  // Its own key, so a digest never equals anything made with the encryption key itself.
  const digestKey = createHmac('sha256', key).update('greenlight digest v1').digest();
  return {
    digest: (value) => createHmac('sha256', digestKey).update(value).digest('base64url'),
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${PREFIX}${iv.toString('base64')}:${tag.toString('base64')}:${data.toString('base64')}`;
    },
    decrypt(stored) {
      if (!isEncrypted(stored)) return stored;
      const [iv, tag, data] = stored.slice(PREFIX.length).split(':');
      if (iv === undefined || tag === undefined || data === undefined) {
        throw new Error('corrupt encrypted secret in the database');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([
          decipher.update(Buffer.from(data, 'base64')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // GCM authentication fails for a wrong key (or a tampered value); say which setting.
        throw wrongKey();
      }
    },
  };
}

/**
 * The box of a store opened without a key: reading legacy plaintext still works, anything that
 * needs the key says how to give one.
 */
export function keylessBox(): SecretBox {
  const missing = (): never => {
    throw new SecretKeyError(
      'secret values need a key: set GREENLIGHT_SECRET_KEY (or let Greenlight create ' +
        '<dataDir>/secret.key) and open the store with it',
    );
  };
  return {
    // Without a key (some tools open the store without one) an unkeyed digest still keeps the
    // value itself out of the database.
    digest: (value) => createHash('sha256').update(value).digest('base64url'),
    encrypt: missing,
    decrypt: (stored) => (isEncrypted(stored) ? missing() : stored),
  };
}

/** A 32-byte key from its text form: 64 hex digits or base64 (standard or url-safe). */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(t)
      ? Buffer.from(t, 'base64')
      : null;
  if (!key || key.length !== KEY_BYTES) {
    throw new SecretKeyError(
      'GREENLIGHT_SECRET_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)',
    );
  }
  return key;
}

/** A new random key in its text form (base64). */
export const newSecretKeyText = (): string => randomBytes(KEY_BYTES).toString('base64');
