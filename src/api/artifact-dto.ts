import { z } from 'zod';
import { artifactsSchema, namedScreenshotSchema, type Artifacts } from '../domain/run.ts';

/** A URL for an artifact path (relative to the data dir), or undefined when it has none. */
export type ArtifactUrlOf = (path: string) => string | undefined;

const url = z.url().optional().describe('Absolute URL that serves the file (same credentials)');
const a = artifactsSchema.shape;

/**
 * A result's files (the domain's `Artifacts`): paths relative to the data dir, each with its
 * absolute URL right after it. Listed field by field to keep that order on the wire.
 */
export const artifactsDto = z
  .object({
    screenshot: a.screenshot.describe('Screenshot of the page when the test failed'),
    screenshotUrl: url,
    trace: a.trace.describe('Playwright trace (zip; npx playwright show-trace)'),
    traceUrl: url,
    video: a.video.describe('Recording of the test (webm; `video` run option)'),
    videoUrl: url,
    screenshots: z
      .array(
        namedScreenshotSchema.extend({
          step: namedScreenshotSchema.shape.step.describe(
            '0-based index of the step after which it was taken (every-step)',
          ),
          url,
        }),
      )
      .optional(),
    dropped: a.dropped.describe(
      'Files deleted for exceeding GREENLIGHT_ARTIFACT_MAX_FILE_MB / _MAX_RUN_MB',
    ),
    missing: a.missing.describe(
      'Files that were due but could not be captured (a screenshot timing out), and why',
    ),
  })
  .meta({ id: 'Artifacts' });
export type ArtifactsDto = z.output<typeof artifactsDto>;

/** The artifacts with a URL beside every path (none without a URL builder). */
export function toArtifactsDto(a: Artifacts, urlOf?: ArtifactUrlOf): ArtifactsDto {
  if (!urlOf) return { ...a };
  const withUrl = <K extends string>(key: K, path: string | undefined) => {
    const u = path ? urlOf(path) : undefined;
    return u ? { [key]: u } : {};
  };
  return {
    ...a,
    ...withUrl('screenshotUrl', a.screenshot),
    ...withUrl('traceUrl', a.trace),
    ...withUrl('videoUrl', a.video),
    ...(a.screenshots
      ? { screenshots: a.screenshots.map((s) => ({ ...s, ...withUrl('url', s.path) })) }
      : {}),
  };
}
