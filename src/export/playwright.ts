import { chromiumArgs as exportedChromiumArgs } from '../domain/chromium-flags.ts';
import type { Step } from '../domain/steps.ts';
import { DEFAULT_STEP_TIMEOUT_MS, DEFAULT_TEST_TIMEOUT_MS } from '../domain/test-definition.ts';
import { describeStep } from '../domain/describe-step.ts';
import { helperSource, ident, quote, referencedVariables, type Helper } from './codegen.ts';
import { collectsConsoleErrors, consoleErrorCollector, stepCode } from './step-code.ts';

export interface ExportableTest {
  name: string;
  steps: Step[];
  variables?: Record<string, string>;
  tags?: string[];
  timeoutMs?: number | null;
  stepTimeoutMs?: number | null;
}

export interface SpecOptions {
  /** Environment variable that, when set, overrides the config's baseURL for this spec. */
  baseUrlEnv?: string;
  /** Variables whose values must not be written into the file: they come from the environment only. */
  secretNames?: string[];
  /** Where upload files live when GREENLIGHT_TEST_DATA_DIR is not set (default `test-data`). */
  testDataDir?: string;
}

/**
 * The source of one `.spec.ts` for @playwright/test doing what the Greenlight test does: the same
 * locators, web-first assertions, request checks and variables (`{{X}}` → process.env.X, falling
 * back to the test's value).
 */
export function exportPlaywrightSpec(test: ExportableTest, opts: SpecOptions = {}): string {
  const helpers = new Set<Helper>();
  const use = (h: Helper): void => void helpers.add(h);
  const defaults = test.variables ?? {};
  const secret = new Set(opts.secretNames ?? []);
  const assigned = assignedVariables(test.steps);
  const referenced = [...referencedVariables(test.steps)];

  // Values only the environment can give (secrets, variables without a default): a spec whose
  // value is missing skips with the reason instead of throwing while Playwright loads the file,
  // which would abort every other spec of the suite.
  const required: string[] = [];
  const envValue = (name: string): string => {
    const fallback = defaults[name];
    if (fallback !== undefined && !secret.has(name)) {
      return `process.env.${name} ?? ${quote(fallback)}`;
    }
    if (!assigned.has(name)) required.push(name);
    return `process.env.${name} ?? ''`;
  };

  const body: string[] = [];
  if (test.timeoutMs) body.push(`test.setTimeout(${test.timeoutMs});`);
  if (collectsConsoleErrors(test.steps)) body.push(...consoleErrorCollector);
  for (const name of assigned) {
    // A value read before the step that sets it starts from the environment; otherwise the
    // declaration has no initial value (one would be overwritten unread: no-useless-assignment).
    const readFirst = readBeforeSet(test.steps, name);
    body.push(`let ${ident(name)}: string${readFirst ? ` = ${envValue(name)}` : ''};`);
  }
  test.steps.forEach((step, i) => {
    const timeout = step.timeout ?? test.stepTimeoutMs ?? undefined;
    const lines = stepCode(step, { timeout, use });
    if (body.length > 0) body.push('');
    body.push(`// ${i + 1}. ${describeStep(step).replace(/[\r\n]+/g, ' ')}`, ...lines);
  });

  const consts = referenced
    .filter((n) => !assigned.has(n))
    .map((n) => `const ${ident(n)} = ${envValue(n)};`);
  const skips = required.map(
    (n) =>
      `if (!process.env.${n}) test.skip(true, ${quote(`GREENLIGHT ${secret.has(n) ? 'secret' : 'variable'} ${n} is not set`)});`,
  );
  const head: string[] = [
    `// Exported from Greenlight: ${test.name.replace(/[\r\n]+/g, ' ')}`,
    "import { test, expect } from '@playwright/test';",
  ];
  if (helpers.has('path')) head.push(helperSource.path);
  if (helpers.has('axe')) head.push(helperSource.axe);
  const top: string[] = [];
  if (opts.baseUrlEnv) {
    const env = `process.env.${opts.baseUrlEnv}`;
    top.push(`if (${env}) test.use({ baseURL: ${env} });`);
  }
  if (helpers.has('path')) {
    top.push(
      `const TEST_DATA_DIR = process.env.GREENLIGHT_TEST_DATA_DIR ?? ${quote(opts.testDataDir ?? 'test-data')};`,
    );
  }
  for (const h of ['asText', 'escapeRegExp', 'jsonEquals'] as const) {
    if (helpers.has(h)) top.push(helperSource[h]);
  }
  top.push(...consts);

  const tags = (test.tags ?? []).map((t) => quote(t.startsWith('@') ? t : `@${t}`));
  const details = tags.length ? `{ tag: [${tags.join(', ')}] }, ` : '';
  return [
    ...head,
    '',
    ...(top.length ? [...top, ''] : []),
    `test(${quote(test.name)}, ${details}async ({ page }) => {`,
    ...[...skips, ...(skips.length && body.length ? [''] : []), ...body].map((l) =>
      l ? `  ${l}` : '',
    ),
    '});',
    '',
  ].join('\n');
}

/** Whether `name` is referenced by a step before (or in) the first step that assigns it. */
function readBeforeSet(steps: Step[], name: string): boolean {
  for (const s of steps) {
    if (referencedVariables(s).has(name)) return true;
    if (assignedVariables([s]).has(name)) return false;
  }
  return false;
}

/** Variables a step sets (`set`) or captures from a request. */
function assignedVariables(steps: Step[]): Set<string> {
  const out = new Set<string>();
  for (const s of steps) {
    if ('set' in s) out.add(s.set);
    if ('request' in s) for (const name of Object.keys(s.request.capture ?? {})) out.add(name);
  }
  return out;
}

/** The flags Greenlight's own browser pool launches Chromium with (one list, in domain/). */
export { exportedChromiumArgs };

export interface ConfigOptions {
  baseUrl: string;
  workers: number;
  chromiumPath: string;
  /** Environment variable that overrides baseUrl when set (default BASE_URL). */
  baseUrlEnv?: string;
}

/** A playwright.config.ts running the exported specs with Greenlight's timeouts and Chromium. */
export function exportPlaywrightConfig(opts: ConfigOptions): string {
  const env = opts.baseUrlEnv ?? 'BASE_URL';
  const ms = (n: number): string => n.toLocaleString('en-US').replace(/,/g, '_');
  return [
    '// Exported from Greenlight: runs the exported specs with the same timeouts and browser.',
    "import { existsSync } from 'node:fs';",
    "import path from 'node:path';",
    "import { defineConfig } from '@playwright/test';",
    '',
    '// .env beside this file (a copy of .env.example) fills in what the shell and CI do not set.',
    '// (__dirname exists when this folder is its own CommonJS package, as exported; copied into an',
    '// ESM project, the .env is looked for where the tests are started from.)',
    "const here = typeof __dirname === 'string' ? __dirname : process.cwd();",
    "const envFile = path.join(here, '.env');",
    'if (existsSync(envFile)) process.loadEnvFile(envFile);',
    '',
    'export default defineConfig({',
    "  testDir: '.',",
    "  testMatch: '**/*.spec.ts',",
    // Beside this file: Playwright empties its output folder before each run.
    "  outputDir: 'test-results',",
    `  workers: ${Math.max(1, Math.floor(opts.workers))},`,
    '  fullyParallel: true,',
    `  timeout: ${ms(DEFAULT_TEST_TIMEOUT_MS)},`,
    `  expect: { timeout: ${ms(DEFAULT_STEP_TIMEOUT_MS)} },`,
    "  reporter: [['list']],",
    '  use: {',
    `    baseURL: process.env.${env} || ${quote(opts.baseUrl)},`,
    `    actionTimeout: ${ms(DEFAULT_STEP_TIMEOUT_MS)},`,
    `    navigationTimeout: ${ms(DEFAULT_STEP_TIMEOUT_MS)},`,
    "    screenshot: 'only-on-failure',",
    "    trace: 'retain-on-failure',",
    '    launchOptions: {',
    `      executablePath: process.env.GREENLIGHT_CHROMIUM_PATH || ${quote(opts.chromiumPath)},`,
    `      args: [${exportedChromiumArgs.map(quote).join(', ')}],`,
    '    },',
    '  },',
    "  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],",
    '});',
    '',
  ].join('\n');
}
