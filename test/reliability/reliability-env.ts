// Knobs of the reliability suite. The default sizes keep it inside CI's time (the whole suite
// runs in `npm test`); GREENLIGHT_RELIABILITY_FULL=1 runs the sizes (20 kill trials per
// database, …) for `npm run test:reliability` by hand or in a nightly job.

/** True when GREENLIGHT_RELIABILITY_FULL=1: the slow, full-size trials. */
export const fullReliability = (): boolean => process.env.GREENLIGHT_RELIABILITY_FULL === '1';

/** Trials of a randomised scenario: 20 in the full suite, 3 by default. */
export const trials = (): number => (fullReliability() ? 20 : 3);

/**
 * The seed of this run's random moments: GREENLIGHT_RELIABILITY_SEED to replay a failure (each
 * failure message names its seed), else a new one per run, so runs explore different moments.
 */
export function reliabilitySeed(): number {
  const given = Number(process.env.GREENLIGHT_RELIABILITY_SEED);
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31);
}

/** A small seeded generator (mulberry32): the same seed gives the same moments. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
