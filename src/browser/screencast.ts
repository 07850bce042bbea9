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
  maxWidth?: number;
  maxHeight?: number;
  /** JPEG quality 0–100. */
  quality?: number;
  /** Least time between two frames: Chromium sends the next frame only after an ack. */
  minIntervalMs?: number;
}

/** Stops the screencast; safe to call more than once and after the page closed. */
export type StopScreencast = () => Promise<void>;

/**
 * Stream a page's screen as JPEG frames (Chromium's CDP `Page.startScreencast`). Chromium sends
 * a frame when the page paints and waits for the ack before the next, so delaying the ack caps
 * the frame rate without dropping anything the browser would buffer.
 */
export async function startScreencast(
  page: Page,
  onFrame: (frame: ScreencastFrame) => void,
  opts: ScreencastOptions = {},
): Promise<StopScreencast> {
  const minInterval = opts.minIntervalMs ?? 250;
  const cdp = await page.context().newCDPSession(page);
  let stopped = false;
  let lastSent = 0;
  let pendingAck: NodeJS.Timeout | undefined;
  cdp.on('Page.screencastFrame', (e) => {
    if (stopped) return;
    const at =
      e.metadata.timestamp !== undefined ? new Date(e.metadata.timestamp * 1000) : new Date();
    onFrame({ mime: 'image/jpeg', data: e.data, at: at.toISOString() });
    const now = Date.now();
    const wait = Math.max(0, lastSent + minInterval - now);
    lastSent = now + wait;
    pendingAck = setTimeout(() => {
      if (stopped) return;
      void cdp.send('Page.screencastFrameAck', { sessionId: e.sessionId }).catch(() => undefined);
    }, wait);
  });
  await cdp.send('Page.startScreencast', {
    format: 'jpeg',
    quality: opts.quality ?? 60,
    maxWidth: opts.maxWidth ?? 800,
    maxHeight: opts.maxHeight ?? 800,
  });
  return async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(pendingAck);
    // The page may be gone already (test ended): then so is the screencast.
    await cdp.send('Page.stopScreencast').catch(() => undefined);
    await cdp.detach().catch(() => undefined);
  };
}
