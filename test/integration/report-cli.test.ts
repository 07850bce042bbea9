import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { jsonReportJsonSchema } from '../../src/report/json.ts';
import { repoRoot, runCli, type CliResult } from '../helpers/cli.ts';
import { junitErrors, sarifErrors } from '../fixtures/report/validators.ts';

// One real run of the demo (smoke tests pass, the known failure fails) writes every report;
// each is then checked by its validator, and the HTML page by a real Chromium.
describe('greenlight run --junit --html --sarif --report-json --markdown', () => {
  let dir: string;
  let out: string;
  let run: CliResult;
  let pool: BrowserPool;
  const file = (name: string): string => join(out, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gl-report-cli-'));
    out = join(dir, 'reports');
    pool = new BrowserPool({ chromiumPath: null, browserWs: null });
    run = await runCli(
      [
        'run',
        'demo',
        '--tag',
        'smoke',
        'known-failure',
        '--workers',
        '2',
        '--junit',
        file('junit.xml'),
        '--html',
        file('report.html'),
        '--sarif',
        file('report.sarif'),
        '--report-json',
        file('report.json'),
        '--markdown',
        file('summary.md'),
      ],
      { GREENLIGHT_DATA_DIR: join(dir, 'data'), GREENLIGHT_DEMO_PORT: '0' },
    );
  });
  afterAll(async () => {
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 for the failed run and names the files it wrote', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    for (const name of ['junit.xml', 'report.html', 'report.sarif', 'report.json', 'summary.md'])
      expect(run.stdout).toContain(file(name));
  });

  it('writes JUnit XML valid against the XSD, with the failure and its step', async () => {
    const xml = readFileSync(file('junit.xml'), 'utf8');
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).toMatch(/<testsuites name="greenlight demo [^"]+" tests="8" failures="1"/);
    expect(xml).toMatch(/<failure message="[^"]*\$24\.50[^"]*" type="TestFailed\.expect">/);
    expect(xml).toMatch(/Failing step 2: expect text/);
    expect(xml).toMatch(/Screenshot: artifacts\/\S+\.png/);
  });

  it('writes SARIF valid against the official schema with one result for the failure', () => {
    const log = JSON.parse(readFileSync(file('report.sarif'), 'utf8')) as {
      runs: { results: { ruleId: string; message: { text: string } }[] }[];
    };
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0]!.results).toHaveLength(1);
    expect(log.runs[0]!.results[0]).toMatchObject({ ruleId: 'GL-TEST-FAILED' });
    expect(log.runs[0]!.results[0]!.message.text).toContain('at step 2');
  });

  it('writes the JSON report valid against its schema, and the Markdown summary', () => {
    const report = JSON.parse(readFileSync(file('report.json'), 'utf8')) as unknown;
    const validate = new Ajv2020({ strict: false }).compile(jsonReportJsonSchema());
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ summary: { total: 8, passed: 7, failed: 1 } });
    const md = readFileSync(file('summary.md'), 'utf8');
    expect(md).toMatch(/^### ❌ Greenlight: .* failed$/m);
    expect(md).toContain('| 7 | 1 | 0 | 0 | 0 | 8 |');
    expect(md).toContain('#### Failures (1)');
  });

  it('writes an HTML page that works offline in Chromium: summary, steps, screenshot, filters', async () => {
    const html = readFileSync(file('report.html'), 'utf8');
    expect(html).not.toMatch(/<(link|script)[^>]+(src|href)=/); // nothing loaded from outside
    const context = await pool.newContext({
      offline: true,
      viewport: { width: 1200, height: 900 },
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(pathToFileURL(file('report.html')).href);
      await expectText(page.locator('#run-status'), 'Failed');
      const tests = page.locator('details.test');
      expect(await tests.count()).toBe(8);
      const failed = page.locator('details.test[data-status="failed"]');
      expect(await failed.count()).toBe(1);
      // The failing test is open, with its step table, error and inline screenshot.
      expect(await failed.getAttribute('open')).not.toBeNull();
      expect(await failed.locator('tr.step-failed').count()).toBe(1);
      expect(await failed.locator('pre.error').innerText()).toContain('$24.50');
      const img = failed.locator('figure img');
      expect(await img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(
        true,
      );

      await page.getByRole('button', { name: /^Failed/ }).click();
      expect(await page.locator('details.test:visible').count()).toBe(1);
      await page.getByRole('button', { name: /^Passed/ }).click();
      expect(await page.locator('details.test:visible').count()).toBe(7);
      expect(await page.getByRole('button', { name: /^Passed/ }).getAttribute('aria-pressed')).toBe(
        'true',
      );
      await page.getByRole('button', { name: /^All/ }).click();
      expect(await page.locator('details.test:visible').count()).toBe(8);

      expect(pageErrors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
      await page.screenshot({
        path: join(repoRoot, 'test-results', 'report-html.png'),
        fullPage: true,
      });
    } finally {
      await context.close();
    }
  });
});

async function expectText(locator: { innerText(): Promise<string> }, text: string): Promise<void> {
  expect(await locator.innerText()).toBe(text);
}
