import { z } from 'zod';
import type { Locator } from './locator.ts';

/** Pixelmatch's per-pixel colour threshold when a step gives none. */
export const DEFAULT_VISUAL_THRESHOLD = 0.1;
/** Share of pixels that may differ when a step gives none: any change fails. */
export const DEFAULT_MAX_DIFF_RATIO = 0;

/** How a screenshot step compares with its baseline (`compare: true` means all defaults). */
export interface VisualCompareSpec {
  /** Pixelmatch colour threshold, 0..1: how different one pixel may be and still count as equal. */
  threshold?: number;
  /** Share of pixels, 0..1, allowed to differ before the step fails. */
  maxDiffRatio?: number;
  /** Elements painted over in both images, so content that always changes is ignored. */
  mask?: Locator[];
}

/** `new`: no baseline yet, this image became it; `matched`/`failed`: compared with the baseline. */
export const visualStatuses = ['new', 'matched', 'failed'] as const;

/** The outcome of one compared screenshot, as kept in a test result. */
export const visualCheckSchema = z.object({
  name: z.string(),
  /** Browser and viewport the image belongs to, e.g. `chromium-1280x720`. */
  variant: z.string(),
  status: z.enum(visualStatuses),
  /** Size of the image taken in this run. */
  width: z.number().int(),
  height: z.number().int(),
  /** Pixels that differ (absent for `new` and for a size mismatch). */
  diffPixels: z.number().int().optional(),
  /** diffPixels over all pixels. */
  diffRatio: z.number().optional(),
  threshold: z.number(),
  maxDiffRatio: z.number(),
  /** Why it failed, in words. */
  message: z.string().optional(),
  /** Artifact paths relative to the data dir. */
  actual: z.string(),
  expected: z.string().optional(),
  diff: z.string().optional(),
});
export type VisualCheck = z.output<typeof visualCheckSchema>;

/** A stored reference image of one screenshot of one test in one browser and viewport. */
export interface VisualBaseline {
  id: string;
  projectId: string;
  testId: string;
  name: string;
  variant: string;
  /** Path of the PNG relative to the data dir. */
  path: string;
  sha256: string;
  width: number;
  height: number;
  createdAt: string;
  /** Who accepted it (a user's email); null when a first run recorded it. */
  acceptedBy: string | null;
  /** The run whose image it is. */
  sourceRunId: string | null;
}

/** The variant key of a browser and viewport, e.g. `chromium-1280x720`. */
export function visualVariant(
  browser: string,
  viewport: { width: number; height: number } | null,
): string {
  const size = viewport ? `${viewport.width}x${viewport.height}` : 'default';
  return `${browser}-${size}`;
}

/** Read access to a test's baselines for the runner; the engine implements it over the store. */
export interface BaselineSource {
  /** The baseline PNG of a screenshot name in a variant, or null when there is none yet. */
  get(name: string, variant: string): Promise<Buffer | null>;
}
