import { describe, expect, it } from 'vitest';
import { findChromium } from '../../src/browser/find-chromium.ts';

/** A fake disk: only the listed paths exist. */
const disk =
  (...paths: string[]) =>
  (p: string): boolean =>
    paths.includes(p);

describe('findChromium', () => {
  it('prefers Debian chromium-headless-shell over full Chromium when both are installed', () => {
    const exists = disk('/usr/bin/chromium', '/usr/bin/chromium-headless-shell');
    expect(findChromium({}, exists)).toBe('/usr/bin/chromium-headless-shell');
  });

  it('finds the headless shell under /usr/lib/chromium too', () => {
    const exists = disk('/usr/bin/chromium', '/usr/lib/chromium/chromium-headless-shell');
    expect(findChromium({}, exists)).toBe('/usr/lib/chromium/chromium-headless-shell');
  });

  it('falls back to full Chromium without the headless shell', () => {
    expect(findChromium({}, disk('/usr/bin/chromium'))).toBe('/usr/bin/chromium');
  });

  it('a configured path wins over what is on disk', () => {
    const exists = disk('/opt/c/chrome', '/usr/bin/chromium-headless-shell');
    expect(findChromium({ chromiumPath: '/opt/c/chrome' }, exists)).toBe('/opt/c/chrome');
  });
});
