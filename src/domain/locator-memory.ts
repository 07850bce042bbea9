import { z } from 'zod';
import type { Locator } from './locator.ts';

/** The ways a remembered element can be found again, in the order healing tries them. */
export const healStrategies = [
  'testId',
  'role',
  'label',
  'placeholder',
  'text',
  'id',
  'name',
  'css',
] as const;
export type HealStrategy = (typeof healStrategies)[number];

/** One other way to find an element that a step's locator found, recorded when the step passed. */
export interface LocatorAlternative {
  strategy: HealStrategy;
  locator: Locator;
}

/** What the last passing run learned about one locator of one step of a test. */
export interface LocatorMemory {
  /** 0-based step index. */
  step: number;
  /** Hash of the step's locator as written (after variables), so an edited locator starts afresh. */
  locatorHash: string;
  alternatives: LocatorAlternative[];
  /** The strategy that last healed this locator; tried first next time. */
  winningStrategy: HealStrategy | null;
  /** When the alternatives were last recorded (ISO); absent for memory not yet stored. */
  recordedAt?: string;
}

/**
 * How long recorded alternatives count as fresh. Recording reads the element over several
 * browser round trips; doing it on every passing step cost ~20% of test time on the demo suite
 * (bench/healing.ts), so a step whose memory is fresh is not recorded again.
 */
const MEMORY_REFRESH_MS = 24 * 3_600_000;

/** True when the memory is recent enough not to be recorded again at `now` (ms since epoch). */
export function isFreshMemory(m: LocatorMemory | undefined, now: number): boolean {
  if (!m?.recordedAt) return false;
  const at = Date.parse(m.recordedAt);
  return Number.isFinite(at) && now - at < MEMORY_REFRESH_MS && now >= at;
}

/** A locator that found nothing and was replaced by a recorded alternative. */
export const healedLocatorSchema = z.object({
  /** 0-based step index. */
  step: z.number().int(),
  /** The step's locator, e.g. `css="#buy-1"`. */
  from: z.string(),
  /** The alternative used, e.g. `role=button[name="Buy"]`. */
  to: z.string(),
  strategy: z.enum(healStrategies),
});
export type HealedLocator = z.output<typeof healedLocatorSchema>;

/** `step 2: css="#buy-1" → role=button[name="Buy"]` (1-based, as people count). */
export function describeHealed(h: HealedLocator): string {
  return `step ${h.step + 1}: ${h.from} → ${h.to}`;
}

/** Alternatives in the order to try them: the last winner first, then the fixed order. */
export function healingOrder(m: LocatorMemory): LocatorAlternative[] {
  const rank = (a: LocatorAlternative): number =>
    a.strategy === m.winningStrategy ? -1 : healStrategies.indexOf(a.strategy);
  return [...m.alternatives].sort((a, b) => rank(a) - rank(b));
}
