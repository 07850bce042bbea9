import type { BrowserContextOptions } from 'playwright-core';
import { playwright } from './playwright.ts';
import type { RunOptions, Viewport } from '../domain/run-options.ts';

/** The run options that shape the browser a test sees. */
export type Emulation = Pick<
  RunOptions,
  'browser' | 'device' | 'viewport' | 'locale' | 'timezone' | 'network'
>;

/**
 * Short names a pipeline can use instead of a Playwright device name. Both devices are
 * Chromium-based descriptors, so the default browser emulates them faithfully.
 */
export const devicePresets: Readonly<Record<string, string | null>> = Object.freeze({
  desktop: null,
  mobile: 'Pixel 7',
  tablet: 'Galaxy Tab S4',
});

let lowerNames: Map<string, string> | undefined;
const byLowerName = (): Map<string, string> =>
  (lowerNames ??= new Map(Object.keys(playwright().devices).map((n) => [n.toLowerCase(), n])));

/** Every Playwright device name (`iPhone 13`, `Pixel 7`, …). */
export function playwrightDeviceNames(): string[] {
  return Object.keys(playwright().devices);
}

/**
 * The Playwright device a `device` option names: a preset or a device name (any case).
 * null = desktop (Playwright's default context); undefined = unknown.
 */
export function deviceNameOf(device: string | null): string | null | undefined {
  if (device === null) return null;
  const key = device.trim().toLowerCase();
  if (key in devicePresets) return devicePresets[key];
  return byLowerName().get(key);
}

/** The browser context options for an emulation; a custom viewport wins over the device's. */
export function contextOptionsFor(e: Partial<Emulation>): BrowserContextOptions {
  const name = deviceNameOf(e.device ?? null);
  const descriptor = name ? playwright().devices[name] : undefined;
  const out: BrowserContextOptions = {};
  if (descriptor) {
    const { defaultBrowserType: _ignored, isMobile, ...rest } = descriptor;
    Object.assign(out, rest);
    // Firefox has no mobile emulation; Playwright refuses isMobile there.
    if (e.browser !== 'firefox') out.isMobile = isMobile;
  }
  if (e.viewport) out.viewport = { ...e.viewport };
  if (e.locale) out.locale = e.locale;
  if (e.timezone) out.timezoneId = e.timezone;
  if (e.network === 'offline') out.offline = true;
  return out;
}

/** The viewport a test will see (null: Playwright's default, 1280×720). */
export function effectiveViewport(e: Partial<Emulation>): Viewport | null {
  const viewport = contextOptionsFor(e).viewport;
  return viewport ? { width: viewport.width, height: viewport.height } : null;
}
