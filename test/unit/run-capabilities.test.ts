import { describe, expect, it } from 'vitest';
import { browserInstall } from '../../src/browser/browser-install.ts';
import { contextOptionsFor, deviceNameOf, effectiveViewport } from '../../src/browser/devices.ts';
import { emulationOptionsOfFlags } from '../../src/cli/emulation-flags.ts';
import { AppError } from '../../src/domain/errors.ts';
import { resolveRunOptions, type BrowserName } from '../../src/domain/run-options.ts';
import { checkBrowserName, checkRunOptions } from '../../src/engine/run-capabilities.ts';

const everythingInstalled = (name: BrowserName) => ({
  browser: name,
  available: true,
  lookedFor: `/opt/${name}`,
  install: `npx playwright install ${name}`,
});

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('browser installs', () => {
  it('finds Firefox and WebKit only where Playwright would have installed them', () => {
    for (const name of ['firefox', 'webkit'] as const) {
      const missing = browserInstall(name, () => false);
      expect(missing.available).toBe(false);
      expect(missing.lookedFor).toContain('ms-playwright');
      expect(missing.install).toBe(`npx playwright install --with-deps ${name}`);
      expect(browserInstall(name, (p) => p === missing.lookedFor).available).toBe(true);
    }
    expect(browserInstall('chromium', () => false).available).toBe(true);
  });

  it('refuses a browser that is not installed, saying what was looked for and how to install it', () => {
    const e = appError(() =>
      checkRunOptions(resolveRunOptions({ browser: 'webkit' }), (name) => ({
        ...everythingInstalled(name),
        available: false,
      })),
    );
    expect([e.code, e.status]).toEqual(['unsupported_field', 400]);
    expect(e.message).toContain('browser "webkit" is not installed');
    expect(e.message).toContain('/opt/webkit');
    expect(e.message).toContain('npx playwright install webkit');
    expect(e.details).toMatchObject({
      field: 'browser',
      value: 'webkit',
      lookedFor: '/opt/webkit',
    });
    // The same options pass where the browser is installed.
    checkRunOptions(resolveRunOptions({ browser: 'webkit' }), everythingInstalled);
  });

  it('names unknown browsers from free-text fields and accepts any case', () => {
    expect(checkBrowserName('Chromium', everythingInstalled)).toBe('chromium');
    const e = appError(() => checkBrowserName('edge', everythingInstalled));
    expect(e.message).toBe('browser "edge" is not known; use chromium, firefox, webkit');
  });
});

describe('devices, locale, time zone and network', () => {
  it('maps presets and Playwright device names, and lets a custom viewport win', () => {
    expect(deviceNameOf('mobile')).toBe('Pixel 7');
    expect(deviceNameOf('Tablet')).toBe('Galaxy Tab S4');
    expect(deviceNameOf('iphone 13')).toBe('iPhone 13');
    expect(deviceNameOf('desktop')).toBeNull();
    expect(deviceNameOf('Nokia 3310')).toBeUndefined();
    const mobile = contextOptionsFor({ device: 'mobile', locale: 'fr-FR', timezone: 'UTC' });
    expect(mobile).toMatchObject({
      viewport: { width: 412, height: 839 },
      isMobile: true,
      hasTouch: true,
      locale: 'fr-FR',
      timezoneId: 'UTC',
    });
    expect(mobile).not.toHaveProperty('defaultBrowserType');
    expect(effectiveViewport({ device: 'mobile', viewport: { width: 900, height: 700 } })).toEqual({
      width: 900,
      height: 700,
    });
    expect(effectiveViewport({ device: 'desktop' })).toBeNull();
    expect(contextOptionsFor({ network: 'offline' }).offline).toBe(true);
    // Firefox cannot emulate mobile; the rest of the device still applies.
    expect(contextOptionsFor({ browser: 'firefox', device: 'mobile' })).not.toHaveProperty(
      'isMobile',
    );
  });

  it('refuses an unknown device listing the presets, and a time zone Intl does not know', () => {
    const device = appError(() => checkRunOptions(resolveRunOptions({ device: 'Nokia 3310' })));
    expect([device.code, device.status]).toEqual(['validation_failed', 400]);
    expect(device.message).toContain('desktop, mobile, tablet');
    expect((device.details as { devices: string[] }).devices).toContain('Pixel 7');
    const tz = appError(() => checkRunOptions(resolveRunOptions({ timezone: 'Mars/Olympus' })));
    expect(tz.message).toContain('timezone "Mars/Olympus"');
    checkRunOptions(resolveRunOptions({ timezone: 'Europe/Berlin', device: 'iPhone 13' }));
  });

  it('throttles only in Chromium, but any browser may go offline', () => {
    const slow = resolveRunOptions({ browser: 'firefox', network: 'slow-3g' });
    const e = appError(() => checkRunOptions(slow, everythingInstalled));
    expect(e.details).toMatchObject({ field: 'network', value: 'slow-3g' });
    checkRunOptions(
      resolveRunOptions({ browser: 'firefox', network: 'offline' }),
      everythingInstalled,
    );
  });
});

describe('greenlight run flags', () => {
  it('turns flags into run options and names the flag that is wrong', () => {
    expect(
      emulationOptionsOfFlags({
        device: 'mobile',
        viewport: '1024x768',
        locale: 'de-DE',
        timezone: 'Europe/Berlin',
        network: '4g',
      }),
    ).toEqual({
      device: 'mobile',
      viewport: { width: 1024, height: 768 },
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      network: '4g',
    });
    expect(appError(() => emulationOptionsOfFlags({ viewport: 'big' })).message).toContain(
      '--viewport must look like 1280x720',
    );
    expect(appError(() => emulationOptionsOfFlags({ network: '5g' })).message).toMatch(
      /^--network: /,
    );
    expect(appError(() => emulationOptionsOfFlags({ browser: 'firefox' })).message).toContain(
      'not installed',
    );
  });
});
