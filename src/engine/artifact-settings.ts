import { videoSupport, type VideoSupport } from '../browser/video-support.ts';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import type { RunOptions } from '../domain/run-options.ts';
import type { ArtifactLimits } from './artifact-limits.ts';
import type { RetentionPolicy } from './artifact-retention.ts';

/** How the engine keeps artifacts: size limits, retention, and what video recording needs. */
export interface ArtifactSettings {
  /** Default: 50 MB a file, 500 MB a run. */
  limits?: ArtifactLimits;
  /** Sweep at start and every sweepIntervalMs; omitted or null: never sweep on a timer. */
  retention?: RetentionPolicy | null;
  /** Default hourly. */
  sweepIntervalMs?: number;
  /** Whether video can be recorded here (tests and remote browsers pass their own). */
  findVideo?: () => VideoSupport;
}

/** The settings a server process uses, from its configuration. */
export function artifactSettingsFrom(config: Config): ArtifactSettings {
  return {
    limits: { maxFileBytes: config.artifactMaxFileBytes, maxRunBytes: config.artifactMaxRunBytes },
    retention: { days: config.artifactRetentionDays, runs: config.artifactRetentionRuns },
    // A remote browser records on its own machine; only it knows whether its ffmpeg is there.
    ...(config.browserWs ? { findVideo: remoteVideo } : {}),
  };
}

const remoteVideo = (): VideoSupport => ({ available: true, lookedFor: null, install: '' });

/** Refuse a run asking for video when this server cannot record it (400 naming what is missing). */
export function checkVideo(o: RunOptions, find: () => VideoSupport = videoSupport): void {
  if (!o.video) return;
  const found = find();
  if (found.available) return;
  throw new AppError(
    'video_unavailable',
    `video recording needs Playwright's ffmpeg build, which is not installed on this server ` +
      `(looked for ${found.lookedFor ?? "ffmpeg in Playwright's browser folder"}); install it ` +
      `with \`${found.install}\`, or run without video`,
    { field: 'video', missing: 'ffmpeg', lookedFor: found.lookedFor, install: found.install },
  );
}
