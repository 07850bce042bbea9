import { z } from 'zod';
import { visualStatuses, type VisualBaseline } from '../domain/visual.ts';

/** One compared screenshot of a test result (visual regression). */
export const visualCheckDto = z
  .object({
    name: z.string(),
    variant: z.string().describe('Browser and viewport, e.g. chromium-1280x720'),
    status: z
      .enum(visualStatuses)
      .describe('new: recorded as the baseline; matched; failed: differs from the baseline'),
    width: z.number().int(),
    height: z.number().int(),
    diffPixels: z.number().int().optional(),
    diffRatio: z.number().optional().describe('Share of pixels that differ'),
    threshold: z.number(),
    maxDiffRatio: z.number(),
    message: z.string().optional(),
    actual: z.string().describe('Artifact path of the image taken in this run'),
    expected: z.string().optional().describe('Artifact path of the baseline (failed only)'),
    diff: z.string().optional().describe('Artifact path of the diff image (failed only)'),
  })
  .meta({ id: 'VisualCheck' });

export const baselineDto = z
  .object({
    id: z.string(),
    testId: z.string(),
    name: z.string().describe('The screenshot step name'),
    variant: z.string().describe('Browser and viewport, e.g. chromium-1280x720'),
    path: z.string().describe('PNG path relative to the data dir'),
    sha256: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    createdAt: z.string().describe('ISO 8601 timestamp'),
    acceptedBy: z
      .string()
      .nullable()
      .describe('Who accepted it; null when a first run recorded it'),
    sourceRunId: z.string().nullable().describe('The run whose image it is'),
  })
  .meta({ id: 'VisualBaseline' });
export type BaselineDto = z.output<typeof baselineDto>;

export function toBaselineDto(b: VisualBaseline): BaselineDto {
  return {
    id: b.id,
    testId: b.testId,
    name: b.name,
    variant: b.variant,
    path: b.path,
    sha256: b.sha256,
    width: b.width,
    height: b.height,
    createdAt: b.createdAt,
    acceptedBy: b.acceptedBy,
    sourceRunId: b.sourceRunId,
  };
}
