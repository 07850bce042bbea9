import { z } from 'zod';

/** Strategies that narrow a selection by history or by what changed. */
export const strategies = ['failed', 'flaky', 'recent', 'changed'] as const;
export type Strategy = (typeof strategies)[number];
/** Strategies a schedule may use: `changed` needs a push's changed files, which a clock lacks. */
export const scheduleStrategies = strategies.filter((s) => s !== 'changed');

export const DEFAULT_MIN_FLAKY_SCORE = 10;
export const DEFAULT_RECENT_DAYS = 7;

const paths = z.array(z.string().min(1).max(1000)).min(1).max(5000);

/**
 * The bounds of a strategy's inputs, as a request may give them. API bodies and CLI flags both
 * check with these, so a bound changed here changes both (and the OpenAPI document).
 */
export const strategyInputShape = {
  strategy: z.enum(strategies),
  changedFiles: paths,
  changedUrls: paths,
  recentDays: z.number().int().min(1).max(365),
  minFlakyScore: z.number().int().min(0).max(100),
};
/** At most this many visited pages are kept per result. */
export const MAX_VISITED_URLS = 50;

/** A strategy and what it needs; fields a strategy does not use are ignored. */
export interface StrategyRequest {
  strategy: Strategy;
  /** `changed`: repository paths (`src/cart/total.ts`). */
  changedFiles?: string[];
  /** `changed`: URL paths of the site (`/cart`). */
  changedUrls?: string[];
  /** `recent`: tests created or changed within this many days. */
  recentDays?: number;
  /** `flaky`: tests whose flaky score (0–100) is at least this. */
  minFlakyScore?: number;
  /** `failed`: look at the last finished run of this branch (git ref) only. */
  branch?: string;
}

/** What a run records about how it chose its tests (the API's run carries it as it is). */
export const selectionDetailSchema = z.object({
  strategy: z.enum(strategies),
  inputs: z
    .record(z.string(), z.unknown())
    .describe("The strategy's effective inputs (defaults filled in)"),
  reasons: z.record(z.string(), z.string()).describe('Test id → why it was chosen'),
});
export type SelectionDetail = z.infer<typeof selectionDetailSchema>;

/**
 * The path of a URL (`/cart/items`), without query or fragment, trailing slash dropped (the root
 * stays `/`); a value that is already a path is normalised the same way. null for non-http URLs.
 */
export function urlPathOf(url: string): string | null {
  let path: string;
  if (url.startsWith('/')) path = url.split(/[?#]/, 1)[0] ?? '/';
  else {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return null;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    path = u.pathname;
  }
  if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '') || '/';
  return path;
}
