import { z } from 'zod';

// `expect: { accessible: … }`: an axe-core check of the page. Kept in one file so the step
// language's other additions merge around it.

/** axe-core's impact levels, least to most severe. */
const axeImpacts = ['minor', 'moderate', 'serious', 'critical'] as const;
export type AxeImpact = (typeof axeImpacts)[number];

/** What is checked when a step names no tags: WCAG 2.0 and 2.1, levels A and AA. */
const DEFAULT_AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;
/** Violations below this impact are reported in the message but do not fail the step. */
const DEFAULT_AXE_IMPACT: AxeImpact = 'serious';

export const accessibleSchema = z
  .union([
    z.literal(true),
    z.strictObject({
      /** Least impact that fails the step (default serious). */
      impact: z.enum(axeImpacts).optional(),
      /** axe-core rule tags to run, e.g. wcag2a, wcag2aa, best-practice. */
      tags: z.array(z.string().min(1)).min(1).optional(),
      /** axe-core rule ids not to run, e.g. color-contrast. */
      disableRules: z.array(z.string().min(1)).optional(),
      /** CSS selectors of parts of the page left out of the check. */
      exclude: z.array(z.string().min(1)).optional(),
    }),
  ])
  .describe(
    'The page passes an axe-core accessibility check: true, or { impact, tags, disableRules, exclude }',
  );
export type AccessibleSpec = z.output<typeof accessibleSchema>;

export interface AccessibleOptions {
  impact: AxeImpact;
  tags: string[];
  disableRules: string[];
  exclude: string[];
}

/** The spec with its defaults filled in. */
export function accessibleOptions(spec: AccessibleSpec): AccessibleOptions {
  const o = spec === true ? {} : spec;
  return {
    impact: o.impact ?? DEFAULT_AXE_IMPACT,
    tags: o.tags ?? [...DEFAULT_AXE_TAGS],
    disableRules: o.disableRules ?? [],
    exclude: o.exclude ?? [],
  };
}

/** Impacts that fail a step whose least failing impact is `least`. */
export const failingImpacts = (least: AxeImpact): AxeImpact[] =>
  axeImpacts.slice(axeImpacts.indexOf(least));

/** How the step reads in logs and reports. */
export function describeAccessible(spec: AccessibleSpec): string {
  const o = accessibleOptions(spec);
  const extra = [
    o.disableRules.length ? `without ${o.disableRules.join(', ')}` : '',
    o.exclude.length ? `excluding ${o.exclude.join(', ')}` : '',
  ].filter(Boolean);
  return `accessible (no ${o.impact}+ axe violations of ${o.tags.join(', ')}${extra.length ? `; ${extra.join('; ')}` : ''})`;
}
