import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { newSecretKeyText, parseSecretKey, SecretKeyError } from './secret-box.ts';

const SECRET_KEY_FILE = 'secret.key';

/**
 * The key secrets are encrypted with: GREENLIGHT_SECRET_KEY when set, else `<dataDir>/secret.key`,
 * created once (mode 0600) on first use. Production should set the variable: a key file beside
 * the database is lost or copied along with it.
 */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  if (config.secretKey) return parseSecretKey(config.secretKey);
  const file = join(config.dataDir, SECRET_KEY_FILE);
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // `wx` fails when the file exists, so two processes starting at once keep the first key.
    writeFileSync(file, `${newSecretKeyText()}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'EEXIST') throw e;
  }
  chmodSync(file, 0o600);
  try {
    return parseSecretKey(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof SecretKeyError) {
      throw new SecretKeyError(`${file} does not hold a valid key (32 bytes, base64 or hex)`);
    }
    throw e;
  }
}

/** What `openStore` needs from the configuration: the database and the secret key. */
export function storeOptions(config: Pick<Config, 'databaseUrl' | 'secretKey' | 'dataDir'>): {
  databaseUrl: string;
  secretKey: Buffer;
} {
  return { databaseUrl: config.databaseUrl, secretKey: loadSecretKey(config) };
}
