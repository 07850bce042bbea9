import type { Page } from 'playwright-core';
import { effectiveViewport, type Emulation } from '../browser/devices.ts';
import { startScreencast } from '../browser/screencast.ts';
import type { ExecutorJob } from './executor.ts';
import type { LiveView } from './live-view.ts';

/** The runner's page hook for one job: register the page with the live view, cast on demand. */
export function liveTap(live: LiveView, job: ExecutorJob): (page: Page) => () => Promise<void> {
  return (page) =>
    live.pageOpened({ runId: job.run.id, testId: job.test.id, attempt: job.attempt }, (onFrame) =>
      startScreencast(page, onFrame),
    );
}

/** The viewport the test sees, for the runner's video size and screenshot variants. */
export function viewportOf(e: Emulation): { viewport?: { width: number; height: number } } {
  const viewport = effectiveViewport(e);
  return viewport ? { viewport } : {};
}
