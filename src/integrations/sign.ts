import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Signature scheme version, the `v1=` of the signature header. */
const VERSION = 'v1';
const SECRET_PREFIX = 'glcs_';

export const signatureHeaders = {
  timestamp: 'x-greenlight-timestamp',
  signature: 'x-greenlight-signature',
  event: 'x-greenlight-event',
  delivery: 'x-greenlight-delivery',
} as const;

/** A new callback secret: a prefix so it is recognisable in a secret scanner, then 32 random bytes. */
export function generateCallbackSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** The part of a secret safe to show again (identifies which secret is in use). */
export const secretPrefix = (secret: string): string => secret.slice(0, SECRET_PREFIX.length + 6);

/** Hex HMAC-SHA256 of `${timestamp}.${body}`: binding the time stops replays of old bodies. */
export function computeSignature(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Headers that sign one delivery; `timestamp` is unix seconds. */
export function signedHeaders(
  secret: string,
  body: string,
  timestamp: number,
): Record<string, string> {
  return {
    [signatureHeaders.timestamp]: String(timestamp),
    [signatureHeaders.signature]: `${VERSION}=${computeSignature(secret, timestamp, body)}`,
  };
}

/**
 * For receivers (and tests): true when `header` (`v1=<hex>`, several comma-separated values
 * allowed, e.g. during a secret rotation) signs `timestamp.body` with `secret`, and the timestamp
 * is within `toleranceSeconds` of now. Comparison is constant-time.
 */
export function verifySignature(
  secret: string,
  timestamp: string | number | undefined,
  body: string,
  header: string | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (timestamp === undefined || header === undefined) return false;
  const ts = typeof timestamp === 'number' ? timestamp : Number(timestamp);
  if (!Number.isInteger(ts) || String(ts) !== String(timestamp).trim()) return false;
  if (Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(computeSignature(secret, ts, body), 'hex');
  let ok = false;
  for (const part of header.split(',')) {
    const [version, value] = part.trim().split('=', 2);
    if (version !== VERSION || !value || !/^[0-9a-f]{64}$/i.test(value)) continue;
    const given = Buffer.from(value, 'hex');
    // No early return: every candidate is compared, so timing says nothing about which matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
