import { z } from 'zod';
import { visualCheckSchema, type VisualBaseline } from '../domain/visual.ts';

const check = visualCheckSchema.shape;

/** One compared screenshot of a test result (visual regression): the domain's, described. */
export const visualCheckDto = visualCheckSchema
  .extend({
    variant: check.variant.describe('Browser and viewport, e.g. chromium-1280x720'),
    status: check.status.describe(
      'new: recorded as the baseline; matched; failed: differs from the baseline',
    ),
    diffRatio: check.diffRatio.describe('Share of pixels that differ'),
    actual: check.actual.describe('Artifact path of the image taken in this run'),
    expected: check.expected.describe('Artifact path of the baseline (failed only)'),
    diff: check.diff.describe('Artifact path of the diff image (failed only)'),
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
