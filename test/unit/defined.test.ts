import { describe, expect, expectTypeOf, it } from 'vitest';
import { defined } from '../../src/domain/defined.ts';

describe('defined', () => {
  it('drops undefined-valued keys and keeps every other falsy value', () => {
    const out = defined({ a: undefined, b: null, c: '', d: 0, e: false, f: 'x' });
    expect(out).toEqual({ b: null, c: '', d: 0, e: false, f: 'x' });
    expect(Object.keys(out)).not.toContain('a');
  });

  it('types maybe-undefined keys as optional without undefined', () => {
    const maybe = (n: number): string | undefined => (n > 0 ? 'yes' : undefined);
    const out = defined({ kept: 1, maybe: maybe(0) });
    expectTypeOf(out).toEqualTypeOf<{ kept: number } & { maybe?: string }>();
    // Under exactOptionalPropertyTypes `{ maybe?: string }` refuses `{ maybe: undefined }`.
    const target: { kept: number; maybe?: string } = out;
    expect(target).toEqual({ kept: 1 });
  });
});
