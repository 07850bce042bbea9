import { browserInstall, type BrowserInstall } from '../browser/browser-install.ts';
import { deviceNameOf, devicePresets, playwrightDeviceNames } from '../browser/devices.ts';
import { AppError } from '../domain/errors.ts';
import { browserNames, type BrowserName, type RunOptions } from '../domain/run-options.ts';

/** Where a browser's installation is looked up (tests pass their own). */
export type FindBrowser = (name: BrowserName) => BrowserInstall;

/**
 * Refuse, when a run is created, what this server cannot run as asked: a browser that is not
 * installed, an unknown device or time zone, throttling outside Chromium. Each error names the
 * field, so a pipeline sees its mistake instead of a run that silently used something else.
 */
export function checkRunOptions(o: RunOptions, find: FindBrowser = browserInstall): void {
  checkBrowser(o.browser, find);
  if (o.device !== null && deviceNameOf(o.device) === undefined) {
    throw new AppError(
      'validation_failed',
      `device "${o.device}" is not known; use ${Object.keys(devicePresets).join(', ')}, or a ` +
        'Playwright device name such as "iPhone 13" or "Pixel 7" (listed in details.devices)',
      { field: 'device', value: o.device, devices: playwrightDeviceNames() },
    );
  }
  if (o.timezone !== null && !isTimeZone(o.timezone)) {
    throw new AppError(
      'validation_failed',
      `timezone "${o.timezone}" is not an IANA time zone such as Europe/Berlin or UTC`,
      { field: 'timezone', value: o.timezone },
    );
  }
  if (o.network !== null && o.network !== 'offline' && o.browser !== 'chromium') {
    throw new AppError(
      'unsupported_field',
      `network "${o.network}" throttling needs Chromium (it uses the DevTools protocol); ` +
        `${o.browser} supports only "offline"`,
      { field: 'network', value: o.network },
    );
  }
}

/** A browser name from a compat shape (free text), checked and installed. */
export function checkBrowserName(name: string, find: FindBrowser = browserInstall): BrowserName {
  const known = browserNames.find((b) => b === name.trim().toLowerCase());
  if (!known) {
    throw new AppError(
      'unsupported_field',
      `browser "${name}" is not known; use ${browserNames.join(', ')}`,
      { field: 'browser', value: name },
    );
  }
  checkBrowser(known, find);
  return known;
}

function checkBrowser(name: BrowserName, find: FindBrowser): void {
  const found = find(name);
  if (found.available) return;
  throw new AppError(
    'unsupported_field',
    `browser "${name}" is not installed on this server (looked for ` +
      `${found.lookedFor ?? "Playwright's browser folder"}); install it on the server with ` +
      `\`${found.install}\`, or use chromium`,
    { field: 'browser', value: name, lookedFor: found.lookedFor, install: found.install },
  );
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
