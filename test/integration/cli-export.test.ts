import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import js from '@eslint/js';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import { repoRoot, runCli } from '../helpers/cli.ts';

// Issue 18.2: `greenlight export` makes a folder you can take away. It is exported from a folder
// that is not the checkout, then linted with ESLint's recommended rules and run with Playwright
// from yet another folder, with and without the secret its sign-in spec needs.

let work: string;
let out: string;
let site: DemoSite;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gl-export-'));
  site = await startDemoSite({ port: 0 });
  // Run from `work`, as a user would from their own project: relative --out, data folder by env.
  const r = await runCli(
    ['export', 'demo', '--format', 'playwright', '--out', 'exported/demo'],
    { GREENLIGHT_DATA_DIR: join(work, 'data') },
    120_000,
    { cwd: work },
  );
  expect(r.code, r.stderr).toBe(0);
  out = join(work, 'exported', 'demo');
  expect(r.stdout).toContain(`to ${out}`);
  expect(r.stdout).toContain(`cd ${out} && npm install && npx playwright test`);
}, 120_000);

afterAll(async () => {
  await site?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the exported suite with the checkout's packages, from a third folder. */
async function playwrightTest(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; report: Record<string, { status: string; skip?: string }> }> {
  const elsewhere = mkdtempSync(join(tmpdir(), 'gl-export-cwd-'));
  const run = await promisify(execFile)(
    join(repoRoot, 'node_modules', '.bin', 'playwright'),
    ['test', '--config', join(out, 'playwright.config.ts'), '--reporter=json', ...args],
    {
      cwd: elsewhere,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        BASE_URL: site.url,
        CI: '1',
        ...env,
      },
      maxBuffer: 20 * 1024 * 1024,
      timeout: 150_000,
    },
  ).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout ?? `${e.stderr ?? ''}`,
    }),
  );
  rmSync(elsewhere, { recursive: true, force: true });
  interface Spec {
    title: string;
    tests: { status: string; annotations: { type: string; description?: string }[] }[];
  }
  interface Suite {
    specs?: Spec[];
    suites?: Suite[];
  }
  const json = JSON.parse(run.stdout) as { suites: Suite[]; errors: unknown[] };
  expect(json.errors, 'no error while loading the specs').toEqual([]);
  const report: Record<string, { status: string; skip?: string }> = {};
  const walk = (s: Suite): void => {
    for (const spec of s.specs ?? []) {
      const t = spec.tests[0];
      const skip = t?.annotations.find((a) => a.type === 'skip')?.description;
      report[spec.title] = { status: t?.status ?? 'missing', ...(skip ? { skip } : {}) };
    }
    for (const child of s.suites ?? []) walk(child);
  };
  for (const s of json.suites) walk(s);
  return { code: run.code, report };
}

describe('greenlight export', { timeout: 180_000 }, () => {
  it('writes a package.json pinning @playwright/test to the runner’s Playwright', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      scripts: Record<string, string>;
      type?: string;
    };
    expect(pkg.devDependencies['@playwright/test']).toBe(
      lock.packages['node_modules/playwright-core']?.version,
    );
    expect(pkg.scripts.test).toBe('playwright test');
    expect(pkg.type).toBeUndefined();
  });

  it('lists the variables and secrets the specs read in .env.example', () => {
    const example = readFileSync(join(out, '.env.example'), 'utf8').split('\n');
    expect(example).toContain('# BASE_URL=http://127.0.0.1:3100');
    expect(example).toContain('DEMO_PASSWORD=');
    expect(example).toContain('DEMO_EMAIL=demo@example.com');
    expect(example.join('\n')).not.toContain('greenlight123');
    const secrets = example.indexOf(
      '# Secrets: never written into the specs; a spec that needs one skips without it',
    );
    expect(secrets).toBeGreaterThan(0);
    expect(example.indexOf('DEMO_PASSWORD=')).toBeGreaterThan(secrets);
  });

  it('passes ESLint’s recommended rules (typescript-eslint parser)', async () => {
    const eslint = new ESLint({
      cwd: out,
      overrideConfigFile: true,
      overrideConfig: [
        js.configs.recommended,
        {
          files: ['**/*.ts'],
          languageOptions: {
            parser: tseslint.parser,
            // The specs and the config run in Node (CommonJS, as the exported package.json says).
            globals: { process: 'readonly', __dirname: 'readonly' },
          },
        },
      ],
    });
    const files = ['playwright.config.ts', ...readdirSync(join(out, 'tests'))].length;
    const results = await eslint.lintFiles(['**/*.ts']);
    expect(results).toHaveLength(files);
    const problems = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId ?? ''} ${m.message}`),
    );
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('skips a spec whose secret is missing instead of aborting the suite, and runs it with .env', async () => {
    // The suite's own node_modules, as `npm install` would make it (here: the checkout's).
    symlinkSync(join(repoRoot, 'node_modules'), join(out, 'node_modules'));
    const signIn = 'Sign in with the demo account reaches the dashboard';
    const without = await playwrightTest({});
    expect(without.report[signIn]).toEqual({
      status: 'skipped',
      skip: 'GREENLIGHT secret DEMO_PASSWORD is not set',
    });
    // The others ran: the demo's one real failure fails, the rest pass.
    const ran = Object.values(without.report).filter((r) => r.status !== 'skipped');
    expect(ran.length).toBeGreaterThan(3);
    expect(ran.filter((r) => r.status === 'unexpected')).toHaveLength(1);
    expect(without.code).toBe(1);

    // .env beside the config (a filled-in copy of .env.example) gives it the secret.
    copyFileSync(join(out, '.env.example'), join(out, '.env'));
    const env = readFileSync(join(out, '.env'), 'utf8');
    writeFileSync(
      join(out, '.env'),
      env.replace('DEMO_PASSWORD=\n', 'DEMO_PASSWORD=greenlight123\n'),
    );
    // Only the spec that needs it: the others ran above.
    const withEnv = await playwrightTest({}, ['--grep', signIn]);
    expect(withEnv.report[signIn]).toEqual({ status: 'expected' });
  });
});
