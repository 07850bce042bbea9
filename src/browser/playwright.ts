import { createRequire } from 'node:module';
import type * as Playwright from 'playwright-core';
import playwrightPkg from 'playwright-core/package.json' with { type: 'json' };

/** The Playwright version the runner drives browsers with (its package.json only, not the library). */
export const PLAYWRIGHT_VERSION: string = playwrightPkg.version;

let loaded: typeof Playwright | undefined;

/**
 * playwright-core, loaded on first use. It is the largest thing a server holds in memory
 * (about 75 MB of an idle server's 220 MB RSS), and a server that only answers the API, or
 * waits between runs, never needs it. It is CommonJS, so a lazy require keeps callers sync.
 */
export function playwright(): typeof Playwright {
  loaded ??= createRequire(import.meta.url)('playwright-core') as typeof Playwright;
  return loaded;
}
