import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/domain/steps.ts';
import {
  canonicalJson,
  diffSteps,
  diffTestVersions,
  type DiffSide,
} from '../../src/engine/test-diff.ts';

const s = (x: Record<string, unknown>): Step => x as unknown as Step;
const goto = (p: string): Step => s({ goto: p });
const click = (name: string): Step => s({ click: { role: 'button', name } });

function side(version: number, steps: Step[], extra: Partial<DiffSide['document']> = {}): DiffSide {
  return { version, status: 'draft', document: { name: 'Checkout', tags: [], steps, ...extra } };
}

describe('canonicalJson', () => {
  it('ignores key order, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(
      canonicalJson({ a: { c: 3, d: 2 }, b: 1 }),
    );
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe('diffSteps', () => {
  it('reports nothing for equal steps whatever their key order', () => {
    const a = [s({ fill: { label: 'Email' }, value: 'x' })];
    const b = [s({ value: 'x', fill: { label: 'Email' } })];
    expect(diffSteps(a, b)).toEqual([]);
  });

  it('pairs an edited step as changed, with the keys that differ', () => {
    const a = [goto('/'), s({ fill: { label: 'Email' }, value: 'a@x' }), click('Save')];
    const b = [goto('/'), s({ fill: { label: 'Email' }, value: 'b@x' }), click('Save')];
    expect(diffSteps(a, b)).toEqual([
      { op: 'changed', index: 1, fromIndex: 1, from: a[1], to: b[1], keys: ['value'] },
    ]);
  });

  it('reports added and removed steps with their positions', () => {
    const a = [goto('/'), click('Old'), goto('/end')];
    const b = [goto('/'), goto('/end'), click('New')];
    expect(diffSteps(a, b)).toEqual([
      { op: 'removed', index: 1, step: click('Old') },
      { op: 'added', index: 2, step: click('New') },
    ]);
  });

  it('pairs as many as it can and lists the rest', () => {
    const a = [goto('/'), click('A')];
    const b = [goto('/'), click('B'), click('C')];
    const d = diffSteps(a, b);
    expect(d).toEqual([
      { op: 'changed', index: 1, fromIndex: 1, from: click('A'), to: click('B'), keys: ['click'] },
      { op: 'added', index: 2, step: click('C') },
    ]);
  });
});

describe('diffTestVersions', () => {
  it('lists changed fields, status, steps and a unified YAML diff', () => {
    const from = side(1, [goto('/'), click('Buy')], { tags: ['smoke'] });
    const to: DiffSide = {
      ...side(2, [goto('/'), click('Buy now')], { tags: ['smoke', 'shop'], suite: 'shop' }),
      status: 'approved',
    };
    const d = diffTestVersions(from, to);
    expect(d.from).toBe(1);
    expect(d.to).toBe(2);
    expect(d.changed).toEqual(['suite', 'tags', 'status', 'steps']);
    expect(d.fields).toContainEqual({ field: 'suite', from: null, to: 'shop' });
    expect(d.fields).toContainEqual({ field: 'status', from: 'draft', to: 'approved' });
    expect(d.steps).toHaveLength(1);
    expect(d.steps[0]).toMatchObject({ op: 'changed', index: 1 });
    expect(d.unified).toContain('--- v1');
    expect(d.unified).toContain('+++ v2');
    expect(d.unified).toContain('-      name: Buy\n');
    expect(d.unified).toContain('+      name: Buy now\n');
    expect(d.unified).toContain('+status: approved');
  });

  it('diffs a first version against nothing', () => {
    const d = diffTestVersions(null, side(1, [goto('/')]));
    expect(d.from).toBeNull();
    expect(d.steps).toEqual([{ op: 'added', index: 0, step: goto('/') }]);
    expect(d.changed).toContain('name');
    expect(d.unified).toContain('--- empty');
  });

  it('reports no change between equal versions', () => {
    const d = diffTestVersions(side(1, [goto('/')]), side(2, [goto('/')]));
    expect(d.changed).toEqual([]);
    expect(d.steps).toEqual([]);
    expect(d.unified).not.toContain('@@');
  });
});
