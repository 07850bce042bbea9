import { z } from 'zod';
import type { Artifacts } from '../domain/run.ts';

/** A URL for an artifact path (relative to the data dir), or undefined when it has none. */
export type ArtifactUrlOf = (path: string) => string | undefined;

const url = z.url().optional().describe('Absolute URL that serves the file (same credentials)');

/** A result's files: paths relative to the data dir, each with its absolute URL. */
export const artifactsDto = z
  .object({
    screenshot: z.string().optional().describe('Screenshot of the page when the test failed'),
    screenshotUrl: url,
    trace: z.string().optional().describe('Playwright trace (zip; npx playwright show-trace)'),
    traceUrl: url,
    video: z.string().optional().describe('Recording of the test (webm; `video` run option)'),
    videoUrl: url,
    screenshots: z
      .array(
        z.object({
          name: z.string(),
          path: z.string(),
          step: z
            .number()
            .int()
            .optional()
            .describe('0-based index of the step after which it was taken (every-step)'),
          url,
        }),
      )
      .optional(),
    dropped: z
      .array(
        z.object({
          name: z.string(),
          bytes: z.number().int(),
          reason: z.enum(['file_limit', 'run_limit']),
        }),
      )
      .optional()
      .describe('Files deleted for exceeding GREENLIGHT_ARTIFACT_MAX_FILE_MB / _MAX_RUN_MB'),
    missing: z
      .array(z.object({ name: z.string(), reason: z.string() }))
      .optional()
      .describe('Files that were due but could not be captured (a screenshot timing out), and why'),
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
