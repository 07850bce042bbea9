import { describe, expect, it } from 'vitest';
import {
  makeMasker,
  maskDeep,
  MASK,
  substitute,
  substituteDeep,
  UnknownVariableError,
} from '../../src/domain/variables.ts';

describe('variables', () => {
  it('substitutes {{NAME}} with optional spaces', () => {
    expect(substitute('Hi {{ NAME }}, {{NAME}}!', { NAME: 'Ann' })).toBe('Hi Ann, Ann!');
  });
  it('fails on an unknown variable instead of inserting nothing', () => {
    expect(() => substitute('{{MISSING}}', {})).toThrow(UnknownVariableError);
  });
  it('substitutes inside nested step objects and leaves numbers alone', () => {
    expect(
      substituteDeep(
        { fill: { label: '{{L}}' }, value: '{{V}}', n: 3 },
        { L: 'Email', V: 'a@b.c' },
      ),
    ).toEqual({
      fill: { label: 'Email' },
      value: 'a@b.c',
      n: 3,
    });
  });
});

describe('masking', () => {
  it('masks every secret, the longest first, and URL-encoded forms', () => {
    const mask = makeMasker(['s3cr3t', 's3cr3t-longer', 'p@ss word']);
    expect(mask('token=s3cr3t-longer and s3cr3t')).toBe(`token=${MASK} and ${MASK}`);
    expect(mask('https://x/?p=p%40ss%20word')).toBe(`https://x/?p=${MASK}`);
  });
  it('is the identity without secrets', () => {
    expect(makeMasker([''])('abc')).toBe('abc');
  });
  it('masks inside structures', () => {
    const mask = makeMasker(['hunter2']);
    expect(maskDeep({ a: ['x hunter2'], b: { c: 'hunter2' }, d: 1 }, mask)).toEqual({
      a: [`x ${MASK}`],
      b: { c: MASK },
      d: 1,
    });
  });
});
