import { describe, expect, it } from 'vitest';
import { MASK, makeMasker, maskDeep, secretVariants } from '../../src/domain/secret-masker.ts';
import { encodingsOf, hostileSecrets, htmlEscape } from '../fixtures/secrets/hostile-secrets.ts';

const secrets = hostileSecrets();

/** Texts as the browser, Playwright and our serialisers write a secret inside them. */
function carriers(s: string): string[] {
  const json = JSON.stringify({ password: s });
  const u = new URL('http://127.0.0.1:9/login');
  u.searchParams.set('password', s);
  const navigated = new URL(`http://127.0.0.1:9/p/${s}?q=${s}`);
  return [
    `Error: expected "${s}" to be visible`,
    json,
    JSON.stringify({ error: json }),
    u.href,
    navigated.href,
    new URLSearchParams({ user: 'a', password: s }).toString(),
    `<p title="${htmlEscape(s)}">x</p>`,
    `Basic ${Buffer.from(s).toString('base64')}`,
    `fill "${s}" in label=Password`,
  ];
}

describe('secret masker', () => {
  it.each(secrets)('masks every encoding of %j', (secret) => {
    const mask = makeMasker([secret]);
    for (const text of carriers(secret)) {
      const out = mask(text);
      for (const form of encodingsOf(secret)) expect(out, text).not.toContain(form);
      expect(out).toContain(MASK);
    }
    for (const v of secretVariants(secret)) expect(mask(`<${v}>`)).toBe(`<${MASK}>`);
  });

  it('masks the longest secret whole when one contains another', () => {
    const mask = makeMasker(['s3cr3t', 's3cr3t-longer', 'p@ss word']);
    expect(mask('token=s3cr3t-longer and s3cr3t')).toBe(`token=${MASK} and ${MASK}`);
    expect(mask('https://x/?p=p%40ss%20word')).toBe(`https://x/?p=${MASK}`);
    expect(mask('p=p%40ss+word')).toBe(`p=${MASK}`);
  });

  it('masks short secrets only as whole words', () => {
    const mask = makeMasker(['ab']);
    expect(mask('ab cab ab')).toBe(`${MASK} cab ${MASK}`);
  });

  it('treats regex syntax in a secret as text', () => {
    const mask = makeMasker(['a.*b(c|d)+$']);
    expect(mask('axxb a.*b(c|d)+$')).toBe(`axxb ${MASK}`);
  });

  it('builds the patterns once for the same secrets', () => {
    expect(makeMasker(['x1y2z3', 'q'])).toBe(makeMasker(['q', 'x1y2z3']));
    expect(makeMasker([''])('abc')).toBe('abc');
  });

  it('masks keys and values inside structures', () => {
    const mask = makeMasker(['hunter 2']);
    expect(maskDeep({ a: ['x hunter+2'], 'hunter%202': { c: 1 } }, mask)).toEqual({
      a: [`x ${MASK}`],
      [MASK]: { c: 1 },
    });
  });
});
