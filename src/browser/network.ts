import type { BrowserContext, Page } from 'playwright-core';
import type { NetworkPreset } from '../domain/run-options.ts';

/** CDP `Network.emulateNetworkConditions` parameters: latency in ms, throughput in bytes/s. */
export interface NetworkConditions {
  latency: number;
  downloadThroughput: number;
  uploadThroughput: number;
  connectionType: 'cellular3g' | 'cellular4g';
}

// Chrome DevTools' presets (kbit/s scaled by its own 0.8/0.9 factors, latency with its
// request-latency multiplier), so a run throttled here matches what a developer sees locally.
const kbit = (n: number): number => Math.round((n * 1000) / 8);
const networkConditions: Readonly<Record<Exclude<NetworkPreset, 'offline'>, NetworkConditions>> =
  Object.freeze({
    'slow-3g': {
      latency: 2000,
      downloadThroughput: kbit(500 * 0.8),
      uploadThroughput: kbit(500 * 0.8),
      connectionType: 'cellular3g',
    },
    'fast-3g': {
      latency: 563,
      downloadThroughput: kbit(1600 * 0.9),
      uploadThroughput: kbit(750 * 0.9),
      connectionType: 'cellular3g',
    },
    '4g': {
      latency: 165,
      downloadThroughput: kbit(9000 * 0.9),
      uploadThroughput: kbit(1500 * 0.9),
      connectionType: 'cellular4g',
    },
  });

/**
 * Throttle one page's network (Chromium, through CDP). `offline` needs no CDP: it is a context
 * option (see contextOptionsFor). The CDP session stays attached for the page's life; closing
 * the page (or its context) ends it.
 */
export async function throttle(
  context: BrowserContext,
  page: Page,
  preset: NetworkPreset | null,
): Promise<void> {
  if (preset === null || preset === 'offline') return;
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    ...networkConditions[preset],
  });
}
