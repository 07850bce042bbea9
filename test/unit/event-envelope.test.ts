import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/event-bus.ts';
import { decodeEnvelope, encodeEnvelope } from '../../src/events/shared-event-bus.ts';

const base: RunEvent = {
  type: 'test.finished',
  runId: 'r1',
  projectId: 'p1',
  at: '2026-01-01T00:00:00.000Z',
  testId: 't1',
  testName: 'Sign in',
  attempt: 2,
  status: 'failed',
  durationMs: 1234,
  counts: { total: 3, passed: 1, failed: 1, skipped: 0, errored: 0, flaky: 0, quarantined: 0 },
};

describe('event envelopes (the NOTIFY payload of a shared event bus)', () => {
  it('carries a small event whole and reads it back', () => {
    const e = { ...base, error: 'expected heading "Welcome"' };
    const text = encodeEnvelope('origin-1', e, 7_900);
    expect(decodeEnvelope(text)).toEqual({ o: 'origin-1', e });
  });

  it('never sends the remote mark on', () => {
    const text = encodeEnvelope('o', { ...base, remote: true }, 7_900);
    expect(decodeEnvelope(text)?.e.remote).toBeUndefined();
  });

  it('cuts user text, multi-byte too, until the event fits; ids, status and counts stay', () => {
    const e: RunEvent = {
      ...base,
      testName: 'n'.repeat(3_000),
      error: '€'.repeat(10_000),
      healed: Array.from({ length: 200 }, (_, i) => ({
        step: i,
        from: `css=#a${i}`,
        to: `role=button[name="B${i}"]`,
        strategy: 'role' as const,
      })),
    };
    for (const max of [7_900, 2_000, 600]) {
      const text = encodeEnvelope('o', e, max);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(max);
      const back = decodeEnvelope(text)!.e;
      const { error: _e, testName: _n, healed: _h, ...rest } = e;
      expect(back).toMatchObject(rest);
      if (back.error !== undefined) expect(back.error).toMatch(/^€+…$/);
    }
    // The largest cut keeps the first healing notes; tighter ones drop them.
    const roomy = decodeEnvelope(encodeEnvelope('o', e, 7_900))!.e;
    expect(roomy.error).toBe(`${'€'.repeat(500)}…`);
    expect(decodeEnvelope(encodeEnvelope('o', e, 600))!.e.error).toBeUndefined();
  });

  it('refuses messages that are not envelopes', () => {
    for (const m of [
      'not json',
      '{}',
      JSON.stringify({ o: 'x', e: { ...base, type: 'nope' } }),
      JSON.stringify({ o: '', e: base }),
      JSON.stringify({ o: 'x', e: { type: 'run.started', runId: 'r' } }),
    ]) {
      expect(decodeEnvelope(m)).toBeNull();
    }
  });
});
