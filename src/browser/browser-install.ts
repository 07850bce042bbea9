import { existsSync } from 'node:fs';
import { playwright } from './playwright.ts';
import type { BrowserName } from '../domain/run-options.ts';

/** Whether a browser can be launched here, and if not, what was looked for and how to fix it. */
export interface BrowserInstall {
  browser: BrowserName;
  available: boolean;
  /** The executable Playwright's registry expects (null: it has no idea). */
  lookedFor: string | null;
  /** The command that installs it; Greenlight itself never downloads browsers. */
  install: string;
}

/**
 * Where Playwright's registry expects Firefox or WebKit. Chromium is resolved by findChromium
 * (configured path, system Chromium, then this registry) and is reported available here: a
 * missing Chromium is a server fault reported when it is launched, not bad input.
 */
export function browserInstall(
  name: BrowserName,
  exists: (path: string) => boolean = existsSync,
): BrowserInstall {
  const install = `npx playwright install --with-deps ${name}`;
  if (name === 'chromium') return { browser: name, available: true, lookedFor: null, install };
  const lookedFor = registryPath(name);
  return {
    browser: name,
    available: lookedFor !== null && exists(lookedFor),
    lookedFor,
    install,
  };
}

/** The executable of an installed Firefox or WebKit; throws with install advice otherwise. */
export function findInstalled(name: Exclude<BrowserName, 'chromium'>): string {
  const found = browserInstall(name);
  if (found.available && found.lookedFor) return found.lookedFor;
  throw new Error(
    `${name} is not installed (looked for ${found.lookedFor ?? "Playwright's browser folder"}); ` +
      `install it with: ${found.install}`,
  );
}

function registryPath(name: BrowserName): string | null {
  try {
    return playwright()[name].executablePath();
  } catch {
    // playwright-core throws when it has no idea where its browser would live.
    return null;
  }
}
