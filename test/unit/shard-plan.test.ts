import { describe, expect, it } from 'vitest';
import { flakyScore } from '../../src/engine/flaky-score.ts';
import { DEFAULT_ESTIMATE_MS, median, planShards } from '../../src/engine/shard-plan.ts';

const tests = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `t${i}` }));

describe('planShards', () => {
  it('puts every test in exactly one shard', () => {
    const ts = tests(17);
    const est = new Map(ts.map((t, i) => [t.id, ((i * 37) % 11) + 1]));
    const plan = planShards(ts, est, 4);
    expect(plan.shards).toHaveLength(4);
    expect(plan.shards.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    expect(plan.shards.flatMap((s) => s.testIds).sort()).toEqual(ts.map((t) => t.id).sort());
    expect(plan.totalMs).toBe([...est.values()].reduce((a, b) => a + b, 0));
  });

  it('balances: the spread between shards is at most the longest single test', () => {
    const ts = tests(40);
    const est = new Map(ts.map((t, i) => [t.id, ((i * 7919) % 97) * 100 + 50]));
    for (const n of [2, 3, 5, 8]) {
      const loads = planShards(ts, est, n).shards.map((s) => s.estimatedMs);
      const longest = Math.max(...est.values());
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(longest);
    }
  });

  it('gives one long test its own shard rather than stacking it with others', () => {
    const ts = tests(5);
    const est = new Map([
      ['t0', 1000],
      ['t1', 250],
      ['t2', 250],
      ['t3', 250],
      ['t4', 250],
    ]);
    const plan = planShards(ts, est, 2);
    expect(plan.shards[0]?.testIds).toEqual(['t0']);
    expect(plan.shards[1]?.testIds.sort()).toEqual(['t1', 't2', 't3', 't4']);
    expect(plan.shards.map((s) => s.estimatedMs)).toEqual([1000, 1000]);
  });

  it('estimates tests without history as the median of the known, and lists them', () => {
    const plan = planShards(
      tests(3),
      new Map([
        ['t0', 10],
        ['t1', 30],
      ]),
      1,
    );
    expect(plan.unknown).toEqual(['t2']);
    expect(plan.totalMs).toBe(10 + 30 + 20);
    const none = planShards(tests(2), new Map(), 2);
    expect(none.shards.map((s) => s.estimatedMs)).toEqual([
      DEFAULT_ESTIMATE_MS,
      DEFAULT_ESTIMATE_MS,
    ]);
  });

  it('leaves extra shards empty when there are fewer tests than shards', () => {
    const plan = planShards(tests(2), new Map(), 4);
    expect(plan.shards.filter((s) => s.testIds.length === 0)).toHaveLength(2);
  });

  it('median ignores a single outlier', () => {
    expect(median([5, 1, 100_000])).toBe(5);
    expect(median([4, 2, 8, 6])).toBe(5);
  });
});

describe('flakyScore', () => {
  it('is 0 for a stable test and for no history', () => {
    expect(flakyScore(Array(20).fill('passed')).score).toBe(0);
    expect(flakyScore(Array(20).fill('failed')).score).toBe(0);
    expect(flakyScore([])).toEqual({ score: 0, counted: 0, unstable: 0 });
  });

  it('counts flaky results and outcome flips, ignoring skipped', () => {
    // newest first: passed, skipped, failed, flaky, passed → oldest first: passed, flaky(unstable,
    // no flip), failed (flip), passed (flip); skipped ignored.
    expect(flakyScore(['passed', 'skipped', 'failed', 'flaky', 'passed'])).toEqual({
      score: 75,
      counted: 4,
      unstable: 3,
    });
  });

  it('looks at the newest 20 results only', () => {
    const old = Array(20)
      .fill('x')
      .map((_, i) => (i % 2 ? 'passed' : 'failed'));
    expect(flakyScore([...Array(20).fill('passed'), ...old]).score).toBe(0);
  });
});
