import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// playwright-core is the largest thing a server holds (about 35 MB of RSS): an idle server, or
// one that only answers the API, must not load it. Only launching a browser (or reading the
// device list) does, through src/browser/playwright.ts.

const root = join(import.meta.dirname, '..', '..');

function loadedAfter(code: string): boolean {
  const script = `
    import { createRequire } from 'node:module';
    ${code}
    const cache = createRequire(import.meta.url).cache;
    // Its package.json (the version for system info and exports) is fine: the library's code is not.
    console.log(Object.keys(cache).some((k) => k.includes('/playwright-core/') && !k.endsWith('/package.json')));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return out.trim().endsWith('true');
}

it('the API, the engine and the CLI load without playwright-core', () => {
  expect(
    loadedAfter(`
      await import('./src/api/app.ts');
      await import('./src/cli/runtime.ts');
      await import('./src/engine/chromium-executor.ts');
    `),
  ).toBe(false);
});

it('reading the device list loads it (so the check above can fail)', () => {
  expect(
    loadedAfter(`
      const { playwrightDeviceNames } = await import('./src/browser/devices.ts');
      if (playwrightDeviceNames().length < 10) throw new Error('no devices');
    `),
  ).toBe(true);
}, 30_000);
