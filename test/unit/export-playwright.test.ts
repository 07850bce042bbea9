import { describe, expect, it } from 'vitest';
import { parseStep } from '../../src/domain/test-definition.ts';
import type { Step } from '../../src/domain/steps.ts';
import { quote, regex, str } from '../../src/export/codegen.ts';
import { chromiumArgs } from '../../src/browser/find-chromium.ts';
import {
  exportedChromiumArgs,
  exportPlaywrightConfig,
  exportPlaywrightSpec,
} from '../../src/export/playwright.ts';

function steps(raw: unknown[]): Step[] {
  return raw.map((r) => {
    const p = parseStep(r);
    if ('issues' in p) throw new Error(JSON.stringify(p.issues));
    return p.step;
  });
}

/** The generated statements of a one-step test, without comments and blank lines. */
function code(step: unknown, extra: { stepTimeoutMs?: number } = {}): string[] {
  const spec = exportPlaywrightSpec({ name: 't', steps: steps([step]), ...extra }, {});
  const body = spec.slice(spec.indexOf('async ({ page }) => {') + 22, spec.lastIndexOf('});'));
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('//'));
}

describe('codegen', () => {
  it('quotes strings and turns {{VAR}} into template literals', () => {
    expect(quote("it's \\ a\nline")).toBe("'it\\'s \\\\ a\\nline'");
    expect(str('plain')).toBe("'plain'");
    expect(str('{{EMAIL}}')).toBe('EMAIL');
    expect(str('Hi {{ NAME }} `x` ${y}')).toBe('`Hi ${NAME} \\`x\\` \\${y}`');
    expect(str('{{class}}')).toBe('class_');
  });

  it('builds regexes: literals when static, RegExp at run time with variables', () => {
    const used: string[] = [];
    const use = (h: string): void => void used.push(h);
    expect(regex('a/b', 'matches', false, use)).toBe('/a\\/b/');
    expect(regex('a.b', 'contains', true, use)).toBe('/a\\.b/i');
    expect(regex('x?', 'equals', false, use)).toBe('/^x\\?$/');
    expect(regex('(', 'matches', false, use)).toBe("new RegExp('(')");
    expect(regex('^{{P}}', 'matches', false, use)).toBe('new RegExp(`^${P}`)');
    expect(used).toEqual([]);
    expect(regex('{{P}}.', 'contains', true, use)).toBe("new RegExp(escapeRegExp(`${P}.`), 'i')");
    expect(used).toEqual(['escapeRegExp']);
  });
});

describe('exportPlaywrightSpec', () => {
  it('writes a runnable spec with variables as consts and tags', () => {
    const spec = exportPlaywrightSpec(
      {
        name: 'Sign in',
        tags: ['smoke', '@fast'],
        variables: { EMAIL: 'a@b.c', PASSWORD: 'pw' },
        steps: steps([
          { goto: '/login' },
          { fill: { label: 'Email' }, value: '{{EMAIL}}' },
          { fill: { label: 'Password' }, value: '{{PASSWORD}}' },
          { fill: { label: 'Code' }, value: '{{CODE}}' },
        ]),
        timeoutMs: 30_000,
      },
      { baseUrlEnv: 'APP_URL', secretNames: ['PASSWORD'] },
    );
    expect(spec).toContain("import { test, expect } from '@playwright/test';");
    expect(spec).toContain('if (process.env.APP_URL) test.use({ baseURL: process.env.APP_URL });');
    expect(spec).toContain("const EMAIL = process.env.EMAIL ?? 'a@b.c';");
    // Missing values skip the test with the reason; they never throw while the file loads.
    expect(spec).toContain("const PASSWORD = process.env.PASSWORD ?? '';");
    expect(spec).toContain("const CODE = process.env.CODE ?? '';");
    expect(spec).toContain(
      "  if (!process.env.PASSWORD) test.skip(true, 'GREENLIGHT secret PASSWORD is not set');",
    );
    expect(spec).toContain(
      "  if (!process.env.CODE) test.skip(true, 'GREENLIGHT variable CODE is not set');",
    );
    expect(spec).not.toContain('throw');
    expect(spec).not.toContain("'pw'");
    expect(spec).toContain("test('Sign in', { tag: ['@smoke', '@fast'] }, async ({ page }) => {");
    expect(spec).toContain('  test.setTimeout(30000);');
    expect(spec).toContain('  // 2. fill label="Email" with "{{EMAIL}}"');
    expect(spec).toContain("  await page.getByLabel('Email').fill(EMAIL);");
  });

  it('maps every locator kind', () => {
    const loc = (l: unknown): string => code({ click: l })[0] ?? '';
    expect(loc({ role: 'button', name: 'Save', exact: true })).toBe(
      "await page.getByRole('button', { name: 'Save', exact: true }).click();",
    );
    expect(loc({ role: 'link' })).toBe("await page.getByRole('link').click();");
    expect(loc({ label: 'Email', exact: false })).toBe(
      "await page.getByLabel('Email', { exact: false }).click();",
    );
    expect(loc({ placeholder: 'Search' })).toBe("await page.getByPlaceholder('Search').click();");
    expect(loc({ text: 'Hello' })).toBe("await page.getByText('Hello').click();");
    expect(loc({ alt: 'Logo' })).toBe("await page.getByAltText('Logo').click();");
    expect(loc({ title: 'Tip' })).toBe("await page.getByTitle('Tip').click();");
    expect(loc({ testId: 'save' })).toBe("await page.getByTestId('save').click();");
    expect(loc('#id >> nth=1')).toBe("await page.locator('#id >> nth=1').click();");
    expect(loc({ xpath: '//a' })).toBe("await page.locator('xpath=//a').click();");
    expect(loc({ css: 'li', hasText: 'x', nth: -1 })).toBe(
      "await page.locator('li').filter({ hasText: 'x' }).last().click();",
    );
    expect(loc({ css: 'li', nth: 2 })).toBe("await page.locator('li').nth(2).click();");
  });

  it('maps actions with their options and the step timeout', () => {
    expect(
      code({ click: '#a', button: 'right', modifiers: ['Shift'], force: true, timeout: 500 }),
    ).toEqual([
      "await page.locator('#a').click({ button: 'right', modifiers: ['Shift'], force: true, timeout: 500 });",
    ]);
    expect(code({ dblclick: '#a' }, { stepTimeoutMs: 2000 })).toEqual([
      "await page.locator('#a').dblclick({ timeout: 2000 });",
    ]);
    expect(code({ select: '#s', option: ['a', 'b'] })).toEqual([
      "await page.locator('#s').selectOption(['a', 'b']);",
    ]);
    expect(code({ check: '#c' })).toEqual(["await page.locator('#c').check();"]);
    expect(code({ uncheck: '#c' })).toEqual(["await page.locator('#c').uncheck();"]);
    expect(code({ hover: '#c' })).toEqual(["await page.locator('#c').hover();"]);
    expect(code({ press: 'Enter' })).toEqual(["await page.keyboard.press('Enter');"]);
    expect(code({ press: 'Control+A', on: '#q' })).toEqual([
      "await page.locator('#q').press('Control+A');",
    ]);
    expect(code({ upload: '#f', files: ['a.txt', 'b.txt'] })).toEqual([
      "await page.locator('#f').setInputFiles([path.resolve(TEST_DATA_DIR, 'a.txt'), path.resolve(TEST_DATA_DIR, 'b.txt')]);",
    ]);
    expect(code({ wait: 250 })).toEqual(['await page.waitForTimeout(250);']);
    expect(code({ wait: { loadState: 'networkidle', hidden: '#spin' } })).toEqual([
      "await page.waitForLoadState('networkidle');",
      "await page.locator('#spin').waitFor({ state: 'hidden' });",
    ]);
    expect(code({ screenshot: { name: 'home page', locator: '#x' } })).toEqual([
      "await page.locator('#x').screenshot({ path: test.info().outputPath('home_page.png') });",
    ]);
    expect(code({ screenshot: { name: 'all', fullPage: true } })).toEqual([
      "await page.screenshot({ path: test.info().outputPath('all.png'), fullPage: true });",
    ]);
    const upload = exportPlaywrightSpec({
      name: 'u',
      steps: steps([{ upload: '#f', files: 'a' }]),
    });
    expect(upload).toContain("import path from 'node:path';");
    expect(upload).toContain(
      "const TEST_DATA_DIR = process.env.GREENLIGHT_TEST_DATA_DIR ?? 'test-data';",
    );
  });

  it('maps every expectation to a web-first assertion', () => {
    expect(
      code({
        expect: {
          url: '/done',
          title: { contains: 'Dash', ignoreCase: true },
          visible: '#a',
          hidden: '#b',
          enabled: '#c',
          disabled: '#d',
          checked: '#e',
        },
      }),
    ).toEqual([
      "await expect(page).toHaveURL('/done');",
      'await expect(page).toHaveTitle(/Dash/i);',
      "await expect(page.locator('#a')).toBeVisible();",
      "await expect(page.locator('#b')).toBeHidden();",
      "await expect(page.locator('#c')).toBeEnabled();",
      "await expect(page.locator('#d')).toBeDisabled();",
      "await expect(page.locator('#e')).toBeChecked();",
    ]);
    expect(
      code({
        expect: {
          text: { locator: 'h1', equals: 'Hi', contains: 'H', matches: '^H', ignoreCase: true },
          value: { locator: '#v', equals: 'x' },
          attribute: { locator: 'a', attribute: 'href', contains: '?ref=' },
          count: { locator: 'li', equals: 3, max: 5 },
        },
        timeout: 100,
      }),
    ).toEqual([
      "await expect(page.locator('h1')).toHaveText('Hi', { ignoreCase: true, timeout: 100 });",
      "await expect(page.locator('h1')).toContainText('H', { ignoreCase: true, timeout: 100 });",
      "await expect(page.locator('h1')).toHaveText(/^H/i, { timeout: 100 });",
      "await expect(page.locator('#v')).toHaveValue('x', { timeout: 100 });",
      "await expect(page.locator('a')).toHaveAttribute('href', /\\?ref=/, { timeout: 100 });",
      "await expect(page.locator('li')).toHaveCount(3, { timeout: 100 });",
      "await expect.poll(() => page.locator('li').count(), { timeout: 100 }).toBeLessThanOrEqual(5);",
    ]);
    expect(
      code({
        expect: { count: { locator: 'li' }, attribute: { locator: 'a', attribute: 'download' } },
      }),
    ).toEqual([
      "await expect(page.locator('a')).toHaveAttribute('download');",
      "await expect.poll(() => page.locator('li').count()).toBeGreaterThanOrEqual(1);",
    ]);
  });

  it('maps a request step with checks and captures into let variables', () => {
    const spec = exportPlaywrightSpec({
      name: 'api',
      variables: { TOKEN: 't' },
      steps: steps([
        {
          request: {
            method: 'POST',
            url: '/api/items',
            headers: { authorization: 'Bearer {{TOKEN}}' },
            json: { name: 'x' },
            expect: {
              status: [200, 201],
              headers: { 'Content-Type': { contains: 'json' } },
              json: { '$.items[0].id': 1, "$['odd key'][-1]": 'v' },
              bodyContains: 'ok',
            },
            capture: { ID: '$.id', LOC: 'header:Location', CODE: 'status' },
          },
        },
        { goto: '/items/{{ID}}' },
      ]),
    });
    const lines = spec.split('\n').map((l) => l.trim());
    expect(lines).toEqual(
      expect.arrayContaining([
        // Set by the request before anything reads it: no initial value to overwrite unread.
        'let ID: string;',
        "const res = await page.request.fetch('/api/items', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, data: { name: 'x' } });",
        'expect([200, 201]).toContain(res.status());',
        "expect(res.headers()['content-type']).toMatch(/json/);",
        'const body = await res.json();',
        'expect(body?.items?.[0]?.id).toEqual(1);',
        "expect(String(body?.['odd key']?.at(-1))).toBe('v');",
        "expect(await res.text()).toContain('ok');",
        'ID = asText(body?.id);',
        "LOC = res.headers()['location'] ?? '';",
        'CODE = String(res.status());',
        'await page.goto(`/items/${ID}`);',
      ]),
    );
    expect(spec).toContain("const TOKEN = process.env.TOKEN ?? 't';");
    expect(spec).toContain('function asText(value: unknown): string {');
  });

  it('maps set steps', () => {
    expect(code({ set: 'A', value: 'x-{{B}}' })).toContain('A = `x-${B}`;');
    expect(code({ set: 'A', from: 'h1' })).toContain(
      "A = ((await page.locator('h1').textContent()) ?? '').replace(/\\s+/g, ' ').trim();",
    );
    expect(code({ set: 'A', from: 'a', attribute: 'href' })).toContain(
      "A = (await page.locator('a').getAttribute('href')) ?? '';",
    );
  });
});

describe('exportPlaywrightSpec with noConsoleErrors', () => {
  const collector = [
    'const consoleErrors: string[] = [];',
    "page.on('console', (msg) => {",
    "if (msg.type() === 'error') consoleErrors.push(msg.text());",
    '});',
    "page.on('pageerror', (err) => consoleErrors.push(err.message || String(err)));",
  ];

  it('collects console and page errors from the start and asserts the list is empty', () => {
    const lines = code({ expect: { noConsoleErrors: true } });
    expect(lines).toEqual([...collector, "expect(consoleErrors, 'console errors').toEqual([]);"]);
  });

  it('filters ignored messages with their regexes, variables included', () => {
    expect(code({ expect: { noConsoleErrors: { ignore: ['favicon'] } } }).at(-1)).toBe(
      "expect(consoleErrors.filter((m) => !/favicon/.test(m)), 'console errors').toEqual([]);",
    );
    expect(code({ expect: { noConsoleErrors: { ignore: ['a/b', '^{{P}}'] } } }).at(-1)).toBe(
      'expect(consoleErrors.filter((m) => ![/a\\/b/, new RegExp(`^${P}`)].some((re) => re.test(m))), ' +
        "'console errors').toEqual([]);",
    );
  });

  it('collects only when a step asks, once, before the first step, and renames a clashing variable', () => {
    const without = exportPlaywrightSpec({ name: 't', steps: steps([{ goto: '/' }]) });
    expect(without).not.toContain('consoleErrors');
    const spec = exportPlaywrightSpec({
      name: 't',
      timeoutMs: 60_000,
      steps: steps([
        { goto: '/' },
        { set: 'consoleErrors', value: 'x' },
        { expect: { noConsoleErrors: true } },
        { expect: { noConsoleErrors: true } },
      ]),
    });
    expect(spec.match(/const consoleErrors/g)).toHaveLength(1);
    expect(spec.indexOf('const consoleErrors')).toBeGreaterThan(spec.indexOf('test.setTimeout'));
    expect(spec.indexOf('const consoleErrors')).toBeLessThan(spec.indexOf('page.goto'));
    expect(spec).toContain('let consoleErrors_: string;');
  });
});

describe('exportPlaywrightConfig', () => {
  it('uses the given Chromium with the headless flags, workers and base URL', () => {
    const config = exportPlaywrightConfig({
      baseUrl: 'http://localhost:3000',
      workers: 3,
      chromiumPath: '/usr/bin/chromium',
    });
    expect(config).toContain("import { defineConfig } from '@playwright/test';");
    expect(config).toContain('  workers: 3,');
    expect(config).toContain("    baseURL: process.env.BASE_URL || 'http://localhost:3000',");
    expect(config).toContain(
      "      executablePath: process.env.GREENLIGHT_CHROMIUM_PATH || '/usr/bin/chromium',",
    );
    expect(config).toContain(
      "args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],",
    );
    expect(config).toContain('  expect: { timeout: 10_000 },');
    expect(config).toContain("  outputDir: 'test-results',");
    expect(exportedChromiumArgs).toEqual(chromiumArgs);
  });
});
