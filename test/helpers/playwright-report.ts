import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium } from '../../src/browser/find-chromium.ts';
import { exportPackageJson } from '../../src/export/package-files.ts';
import { exportPlaywrightConfig } from '../../src/export/playwright.ts';

interface JsonSuite {
  specs?: {
    title: string;
    tests: { status: string; results: { error?: { message?: string } }[] }[];
  }[];
  suites?: JsonSuite[];
}

/**
 * Each test's status and first error (raw) by title, from Playwright Test's JSON reporter
 * output; anything before the JSON (a warning line) is skipped. Throws with the output when
 * there is no report, so a broken config or spec says why.
 */
export function playwrightOutcomes(
  stdout: string,
  stderr = '',
): Record<string, { status: string; error: string }> {
  let json: { suites: JsonSuite[] };
  try {
    json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { suites: JsonSuite[] };
  } catch {
    throw new Error(
      `playwright test printed no JSON report:\n${stdout}${stderr ? `\n${stderr}` : ''}`,
    );
  }
  const out: Record<string, { status: string; error: string }> = {};
  const walk = (s: JsonSuite): void => {
    for (const spec of s.specs ?? []) {
      const t = spec.tests[0];
      out[spec.title] = {
        status: t?.status ?? 'missing',
        error: t?.results[0]?.error?.message ?? '',
      };
    }
    for (const sub of s.suites ?? []) walk(sub);
  };
  json.suites.forEach(walk);
  return out;
}

/** The config and package.json `greenlight export` writes beside the specs (its own CommonJS package). */
export function writeExportedConfig(dir: string, baseUrl: string): void {
  writeFileSync(
    join(dir, 'playwright.config.ts'),
    exportPlaywrightConfig({ baseUrl, workers: 2, chromiumPath: findChromium() }),
  );
  writeFileSync(join(dir, 'package.json'), exportPackageJson('fixture', { playwright: '1.65.1' }));
}
