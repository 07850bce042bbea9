import { describe, expect, it } from 'vitest';
import {
  describeHealed,
  healingOrder,
  type LocatorMemory,
} from '../../src/domain/locator-memory.ts';
import { resolveRunOptions, runOptionsInputSchema } from '../../src/domain/run-options.ts';
import { healedTests } from '../../src/report/healed.ts';
import { locatorHash } from '../../src/runner/healing.ts';
import { parseAriaRole } from '../../src/runner/locator-capture.ts';
import { makeResult } from '../helpers/records.ts';

const memory: LocatorMemory = {
  step: 3,
  locatorHash: 'h',
  alternatives: [
    { strategy: 'css', locator: { css: 'main > button' } },
    { strategy: 'text', locator: { text: 'Buy', exact: true } },
    { strategy: 'role', locator: { role: 'button', name: 'Buy', exact: true } },
  ],
  winningStrategy: null,
};

describe('healing rules', () => {
  it('tries the last winner first, then the fixed order', () => {
    expect(healingOrder(memory).map((a) => a.strategy)).toEqual(['role', 'text', 'css']);
    expect(healingOrder({ ...memory, winningStrategy: 'text' }).map((a) => a.strategy)).toEqual([
      'text',
      'role',
      'css',
    ]);
  });

  it('describes a heal by its 1-based step', () => {
    expect(describeHealed({ step: 0, from: 'css="#a"', to: 'text="A"', strategy: 'text' })).toBe(
      'step 1: css="#a" → text="A"',
    );
  });

  it('hashes a locator independently of key order, and tells locators apart', () => {
    expect(locatorHash({ role: 'button', name: 'Buy' })).toBe(
      locatorHash({ name: 'Buy', role: 'button' }),
    );
    expect(locatorHash({ css: '#buy-1' })).not.toBe(locatorHash({ css: '#buy-2' }));
  });

  it('reads role and name from an ARIA snapshot, skipping vague roles and empty names', () => {
    expect(parseAriaRole('- button "Buy \\"now\\""')).toEqual({
      role: 'button',
      name: 'Buy "now"',
    });
    expect(parseAriaRole('- heading "Shop" [level=1]')).toEqual({ role: 'heading', name: 'Shop' });
    expect(parseAriaRole('- textbox "Email":\n  - /placeholder: you@x')).toEqual({
      role: 'textbox',
      name: 'Email',
    });
    expect(parseAriaRole('- text: plain')).toBeNull();
    expect(parseAriaRole('- generic "x"')).toBeNull();
    expect(parseAriaRole('- button ""')).toBeNull();
    expect(parseAriaRole('')).toBeNull();
  });

  it('has healing on by default; a run may turn it off; a non-boolean is refused', () => {
    expect(resolveRunOptions().healing).toBe(true);
    expect(resolveRunOptions(runOptionsInputSchema.parse({ healing: false })).healing).toBe(false);
    const bad = runOptionsInputSchema.safeParse({ healing: 'no' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['healing']);
  });

  it('lists healed tests for reports from the last attempt only', () => {
    const base = makeResult('run', 't1', { id: 'r1', testName: 'Buy' });
    const heal = { step: 1, from: 'css="#a"', to: 'text="A"', strategy: 'text' as const };
    expect(healedTests([{ ...base, healed: [heal, { ...heal, step: 2 }] }])).toEqual([
      {
        testId: 't1',
        testName: 'Buy',
        detail: 'step 2: css="#a" → text="A"; step 3: css="#a" → text="A"',
      },
    ]);
    // A later attempt without a heal wins; a failed test is reported as a failure, not a heal.
    expect(
      healedTests([
        { ...base, healed: [heal] },
        { ...base, id: 'r2', attempt: 2 },
      ]),
    ).toEqual([]);
    expect(healedTests([{ ...base, status: 'failed', healed: [heal] }])).toEqual([]);
  });
});
