import { runOptionsInputShape, type RunOptionsInput } from '../domain/run-options.ts';
import { defined } from '../domain/defined.ts';

/** Request fields choosing which artifacts a run records, shared by POST /runs and the trigger. */
export const artifactFields = {
  screenshots: runOptionsInputShape.screenshots.describe(
    '`failure` (default): a screenshot of the failing step; `every-step`: after each step too',
  ),
  video: runOptionsInputShape.video.describe(
    "Record a video of every test (needs Playwright's ffmpeg on the server, else 400)",
  ),
};

/** The run options of the artifact fields that were given. */
export function artifactOptionsOf(b: {
  screenshots?: RunOptionsInput['screenshots'];
  video?: boolean;
}): RunOptionsInput {
  return defined({ screenshots: b.screenshots, video: b.video });
}
