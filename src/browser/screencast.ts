import type { Page } from 'playwright-core';

/** One screencast frame as it leaves the browser; never stored. */
export interface ScreencastFrame {
  mime: 'image/jpeg';
  /** Base64 JPEG. */
  data: string;
  /** ISO time the frame was taken. */
  at: string;
}

export interface ScreencastOptions {
  /** JPEG quality 0–100. */
  quality?: number;
  /** Least time between two frames. */
  minIntervalMs?: number;
}

/** Stops the screencast; safe to call more than once and after the page closed. */
export type StopScreencast = () => Promise<void>;

// A frame that takes longer than this (a page busy navigating) is skipped, not waited for.
const FRAME_TIMEOUT_MS = 2_000;

/**
 * Stream a page's screen as JPEG frames, one every `minIntervalMs` (default 250 ms: 4 FPS)
 * while the cast runs. Each frame is a viewport capture (over CDP in Chromium), taken only after
 * the previous one was delivered. Chromium's push screencast (`Page.startScreencast`) was tried
 * first: its CDP session is bound to one renderer process, and the first navigation of a test
 * (from about:blank) often moves the page to another, after which it sends nothing; captures
 * through the page follow it wherever it goes.
 */
export async function startScreencast(
  page: Page,
  onFrame: (frame: ScreencastFrame) => void,
  opts: ScreencastOptions = {},
): Promise<StopScreencast> {
  if (page.isClosed()) throw new Error('the page is closed');
  const interval = opts.minIntervalMs ?? 250;
  const quality = opts.quality ?? 60;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped && !page.isClosed()) {
      const began = Date.now();
      const jpeg = await page
        .screenshot({ type: 'jpeg', quality, timeout: FRAME_TIMEOUT_MS, caret: 'initial' })
        .catch(() => null);
      if (stopped) break;
      if (jpeg)
        onFrame({
          mime: 'image/jpeg',
          data: jpeg.toString('base64'),
          at: new Date().toISOString(),
        });
      const wait = Math.max(0, interval - (Date.now() - began));
      await new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, wait);
      });
    }
  })();
  return async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    wake?.();
    await loop;
  };
}
