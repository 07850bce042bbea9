import { existsSync } from 'node:fs';
import { playwright } from './playwright.ts';

export { chromiumArgs } from '../domain/chromium-flags.ts';

/**
 * Debian's `chromium-headless-shell` first: it launches in ~35 ms against ~94 ms for full
 * Chromium and takes a context+page in ~25 ms against ~97 ms (issue 13), and needs no display.
 */
const systemPaths: readonly string[] = [
  '/usr/bin/chromium-headless-shell',
  '/usr/lib/chromium/chromium-headless-shell',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
];

/**
 * Resolve the Chromium binary: the configured path (GREENLIGHT_CHROMIUM_PATH), a system
 * headless shell or Chromium, then Playwright's own install. Never downloads; throws with install advice.
 */
export function findChromium(
  config: { chromiumPath?: string | null } = {},
  exists: (path: string) => boolean = existsSync,
): string {
  const configured = config.chromiumPath;
  if (configured) {
    if (exists(configured)) return configured;
    throw new Error(
      `GREENLIGHT_CHROMIUM_PATH points to ${configured}, which does not exist; ` +
        'fix the path or unset it to use a system Chromium (apt-get install chromium)',
    );
  }
  for (const p of systemPaths) if (exists(p)) return p;
  const bundled = playwrightChromium();
  if (bundled && exists(bundled)) return bundled;
  throw new Error(
    'no Chromium found: set GREENLIGHT_CHROMIUM_PATH to a Chromium binary, or install one ' +
      '(apt-get install chromium, or npx playwright install chromium); Greenlight never downloads browsers',
  );
}

function playwrightChromium(): string | null {
  try {
    return playwright().chromium.executablePath();
  } catch {
    // playwright-core throws when it has no idea where its browser would live.
    return null;
  }
}
