import { describe, expect, it } from 'vitest';
import {
  computeSignature,
  generateCallbackSecret,
  secretPrefix,
  signedHeaders,
  verifySignature,
} from '../../src/integrations/sign.ts';

const secret = 'glcs_test-secret';
const body = '{"runId":"r1","status":"completed","passed":1,"failed":0,"total":1,"error":null}';
const now = 1_760_000_000;

describe('callback signatures', () => {
  it('signs timestamp.body with HMAC-SHA256 and verifies it', () => {
    const h = signedHeaders(secret, body, now);
    expect(h['x-greenlight-timestamp']).toBe(String(now));
    expect(h['x-greenlight-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(h['x-greenlight-signature']).toBe(`v1=${computeSignature(secret, now, body)}`);
    expect(verifySignature(secret, String(now), body, h['x-greenlight-signature'], 300, now)).toBe(
      true,
    );
  });

  it('rejects a tampered body, a wrong secret, a stale or odd timestamp, a bad header', () => {
    const sig = signedHeaders(secret, body, now)['x-greenlight-signature'];
    expect(
      verifySignature(secret, now, body.replace('1,"failed"', '9,"failed"'), sig, 300, now),
    ).toBe(false);
    expect(verifySignature('other', now, body, sig, 300, now)).toBe(false);
    expect(verifySignature(secret, now, body, sig, 300, now + 301)).toBe(false);
    expect(verifySignature(secret, `${now}.5`, body, sig, 300, now)).toBe(false);
    expect(verifySignature(secret, undefined, body, sig, 300, now)).toBe(false);
    expect(verifySignature(secret, now, body, undefined, 300, now)).toBe(false);
    expect(verifySignature(secret, now, body, 'v1=zz', 300, now)).toBe(false);
    expect(verifySignature(secret, now, body, sig?.replace('v1=', 'v0='), 300, now)).toBe(false);
  });

  it('accepts any one of several signatures (rotation overlap)', () => {
    const good = signedHeaders(secret, body, now)['x-greenlight-signature'];
    const other = signedHeaders('old', body, now)['x-greenlight-signature'];
    expect(verifySignature(secret, now, body, `${other}, ${good}`, 300, now)).toBe(true);
  });

  it('generates distinct prefixed secrets and shows only a short prefix', () => {
    const a = generateCallbackSecret();
    const b = generateCallbackSecret();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^glcs_[A-Za-z0-9_-]{43}$/);
    expect(secretPrefix(a)).toHaveLength(11);
    expect(a.startsWith(secretPrefix(a))).toBe(true);
  });
});
