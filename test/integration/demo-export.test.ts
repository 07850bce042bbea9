import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPaths, demoVariables } from '../../src/demo/demo-data.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import { loadDemoTests, type DemoTest } from '../../src/demo/demo-tests.ts';
import { exportPlaywrightSpec } from '../../src/export/playwright.ts';
import { playwrightOutcomes, writeExportedConfig } from '../helpers/playwright-report.ts';

// The bundled demo suite, exported as `greenlight export` writes it, runs under Playwright Test
// against the demo site with the same verdicts as Greenlight's runner (demo-site.test.ts): every
// approved test passes except the one deliberately failing. It uses every kind of step the demo
// has, lists, classes, `not`, chained locators and within blocks among them.
const KNOWN_FAILURE = 'catalog-focus-timer-price';
let site: DemoSite;
let dir: string;
let tests: DemoTest[];

beforeAll(async () => {
  site = await startDemoSite({ slowMs: 0 });
  mkdirSync(resolve('test-results'), { recursive: true });
  dir = mkdtempSync(resolve('test-results', 'demo-export-'));
  tests = (await loadDemoTests()).filter((t) => t.test.status === 'approved');
});
afterAll(async () => {
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the exported demo suite', () => {
  it('passes under Playwright Test against the demo, except the known failure', async () => {
    for (const { test } of tests) {
      const spec = exportPlaywrightSpec(
        {
          name: test.name,
          steps: test.steps,
          variables: { ...test.variables, ...demoVariables.variables },
          tags: test.tags,
          timeoutMs: test.timeout ?? null,
          stepTimeoutMs: test.stepTimeout ?? null,
        },
        { secretNames: [...demoVariables.secretNames], testDataDir: demoPaths.testData },
      );
      expect(spec).not.toContain(demoVariables.variables.DEMO_PASSWORD);
      writeFileSync(join(dir, `${test.key}.spec.ts`), spec);
    }
    writeExportedConfig(dir, site.url);
    // Asynchronous on purpose: the demo site answers from this process's event loop.
    const stdout = await promisify(execFile)(
      resolve('node_modules/.bin/playwright'),
      ['test', '--config', join(dir, 'playwright.config.ts'), '--reporter=json', '--trace=off'],
      {
        cwd: dir,
        env: {
          ...process.env,
          // Vitest sets BASE_URL (to "/"); the exported config reads it first.
          BASE_URL: site.url,
          DEMO_PASSWORD: demoVariables.variables.DEMO_PASSWORD,
          CI: '1',
          FORCE_COLOR: '0',
        },
        maxBuffer: 50 * 1024 * 1024,
        timeout: 240_000,
      },
    ).then(
      (x) => x.stdout,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    const outcomes = outcomesOf(stdout);
    expect(outcomes).toEqual(
      Object.fromEntries(
        tests.map(({ test }) => [
          test.name,
          test.key === KNOWN_FAILURE ? 'unexpected' : 'expected',
        ]),
      ),
    );
  }, 300_000);
});

/** Status per test title; a test that failed unexpectedly carries its error, so it says why. */
function outcomesOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(playwrightOutcomes(stdout)).map(([title, o]) => {
      const error = stripVTControlCharacters(o.error);
      const known = tests.find((x) => x.test.name === title)?.test.key === KNOWN_FAILURE;
      return [title, o.status + (error && !known ? `: ${error}` : '')];
    }),
  );
}
