import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { findChromium } from '../../src/browser/find-chromium.ts';
import { exportPlaywrightConfig, exportPlaywrightSpec } from '../../src/export/playwright.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, steps, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

// `expect: { accessible }` injects axe-core into the page in real Chromium; the exported spec does
// the same check through @axe-core/playwright and agrees with the runner.
const base = tempBase();
let server: StaticServer;
let pool: BrowserPool;

beforeAll(async () => {
  server = await startStaticServer(resolve('test/fixtures/a11y'));
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

const run = (page: string, accessible: unknown, timeout = 5_000) =>
  runTest(
    pool,
    runnerInput(base, server.url, [{ goto: page }, { expect: { accessible }, timeout }]),
  );

// What the bad page lets through once its three problems are switched off or left out.
const lenient = { disableRules: ['label', 'button-name'], exclude: ['.ad'] };

describe('expect accessible', () => {
  it('fails a page with violations, naming each rule and element, and passes a clean one', async () => {
    const bad = await run('/bad.html', true, 1_500);
    expect(bad).toMatchObject({ status: 'failed', failedStep: 1 });
    expect(bad.error).toMatch(/^3 accessibility violations of impact serious or worse: /);
    expect(bad.error).toContain('image-alt (critical)');
    expect(bad.error).toContain('label (critical)');
    expect(bad.error).toContain('button-name (critical)');
    expect(bad.steps[1]?.description).toBe(
      'expect accessible (no serious+ axe violations of wcag2a, wcag2aa, wcag21a, wcag21aa)',
    );
    expect((await run('/good.html', true)).status).toBe('passed');
  });

  it('honours disableRules, exclude and a higher impact floor', async () => {
    // image-alt stays on for the first image, which is outside .ad: still one violation.
    const partly = await run('/bad.html', lenient, 1_500);
    expect(partly.error).toMatch(
      /^1 accessibility violation of impact serious or worse: image-alt/,
    );
    const passed = await run('/bad.html', {
      ...lenient,
      disableRules: [...lenient.disableRules, 'image-alt'],
    });
    expect(passed.status).toBe('passed');
    // best-practice rules (region, …) are moderate: reported only when asked for at that level.
    const moderate = await run('/good.html', { tags: ['best-practice'], impact: 'minor' }, 1_500);
    const serious = await run('/good.html', { tags: ['best-practice'], impact: 'critical' });
    expect(serious.status).toBe('passed');
    expect(
      moderate.status === 'passed' || /accessibility violation/.test(moderate.error ?? ''),
    ).toBe(true);
  });

  it('waits within the step timeout for a page that fixes itself', async () => {
    expect((await run('/late.html', true, 10_000)).status).toBe('passed');
  });

  it('exports to @axe-core/playwright with the same outcome', async () => {
    mkdirSync(resolve('test-results'), { recursive: true });
    const dir = mkdtempSync(resolve('test-results', 'export-a11y-'));
    try {
      const cases = [
        {
          file: 'bad',
          name: 'Bad page is refused',
          steps: [{ goto: '/bad.html' }, { expect: { accessible: true } }],
        },
        {
          file: 'lenient',
          name: 'Bad page passes with its problems excluded',
          steps: [
            { goto: '/bad.html' },
            {
              expect: {
                accessible: { ...lenient, disableRules: [...lenient.disableRules, 'image-alt'] },
              },
            },
          ],
        },
      ];
      for (const c of cases) {
        const spec = exportPlaywrightSpec({
          name: c.name,
          steps: steps(c.steps),
          variables: {},
          tags: [],
        });
        expect(spec).toContain("import AxeBuilder from '@axe-core/playwright';");
        writeFileSync(join(dir, `${c.file}.spec.ts`), spec);
      }
      writeFileSync(
        join(dir, 'playwright.config.ts'),
        exportPlaywrightConfig({ baseUrl: server.url, workers: 1, chromiumPath: findChromium() }),
      );
      const out = await promisify(execFile)(
        resolve('node_modules/.bin/playwright'),
        ['test', '--config', join(dir, 'playwright.config.ts'), '--reporter=line'],
        {
          cwd: dir,
          env: { ...process.env, BASE_URL: server.url, CI: '1', FORCE_COLOR: '0' },
          timeout: 120_000,
        },
      ).then(
        (r) => ({ code: 0, text: r.stdout + r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? -1,
          text: (e.stdout ?? '') + (e.stderr ?? ''),
        }),
      );
      expect(out.code).toBe(1);
      expect(out.text).toMatch(/1 failed/);
      expect(out.text).toMatch(/1 passed/);
      expect(out.text).toContain('Bad page is refused');
      expect(out.text).toContain('image-alt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
