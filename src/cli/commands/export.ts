import { DEFAULT_ENVIRONMENT } from '../../domain/project.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { findChromium } from '../../browser/find-chromium.ts';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { slugify } from '../../domain/project.ts';
import { openStore } from '../../store/connect.ts';
import { plural } from '../plural.ts';
import { storeOptions } from '../../store/secret-key.ts';
import { testDataDir } from '../../engine/import-tests.ts';
import { DEMO_SLUG, demoPort, ensureDemoProject } from '../demo-project.ts';
import {
  exportEnvExample,
  exportedVariables,
  exportPackageJson,
  type PackageVersions,
} from '../../export/package-files.ts';

const require = createRequire(import.meta.url);

/**
 * What the exported package.json pins: `@playwright/test` at the version of the playwright-core
 * this Greenlight runs (its package-lock pins it), and `@axe-core/playwright` at the installed
 * one, else the axe-core release line Greenlight runs.
 */
function exportedVersions(usesAxe: boolean): PackageVersions {
  const versionOf = (pkg: string): string =>
    (require(`${pkg}/package.json`) as { version: string }).version;
  const playwright = versionOf('playwright-core');
  if (!usesAxe) return { playwright };
  let axe: string;
  try {
    axe = versionOf('@axe-core/playwright');
  } catch {
    // A production install has no devDependencies: the matching release line of axe-core.
    axe = `~${versionOf('axe-core').split('.').slice(0, 2).join('.')}.0`;
  }
  return { playwright, axe };
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write a project’s tests as Playwright Test files (`npx playwright test` runs them)',
    )
    .argument('<project>', 'project slug or id')
    .requiredOption('--out <dir>', 'output folder')
    .option('--format <format>', 'output format', 'playwright')
    .option('--all', 'include drafts and rejected tests (default: approved only)')
    .option('-w, --workers <n>', 'workers in the generated config', Number, 4)
    .option('--env <name>', 'environment whose variables become defaults (default: `default`)')
    .option('--base-url <url>', 'base URL in the generated config (default: the project’s)')
    .action(
      async (
        projectRef: string,
        o: {
          out: string;
          format: string;
          all?: boolean;
          workers: number;
          baseUrl?: string;
          env?: string;
        },
      ) => {
        if (o.format !== 'playwright')
          throw new AppError(
            'validation_failed',
            `unknown --format "${o.format}" (supported: playwright)`,
          );
        // Loaded on use: the exporter is only needed by this command.
        const { exportPlaywrightConfig, exportPlaywrightSpec } =
          await import('../../export/playwright.ts');
        const config = loadConfig();
        const store = await openStore(storeOptions(config));
        try {
          // The bundled demo can be exported before it ever ran: seeded like `run demo` does.
          const project =
            (await store.projects.get(projectRef)) ??
            (projectRef === DEMO_SLUG
              ? await ensureDemoProject(store, config.dataDir, `http://127.0.0.1:${demoPort()}`)
              : undefined);
          if (!project) throw new AppError('not_found', `project "${projectRef}" not found`);
          const tests = [];
          for (let offset = 0; ; offset += 200) {
            const page = await store.tests.list(project.id, {
              ...(o.all ? {} : { status: 'approved' as const }),
              limit: 200,
              offset,
            });
            tests.push(...page.items);
            if (tests.length >= page.total || page.items.length === 0) break;
          }
          const envs = await store.environments.list(project.id);
          const env =
            envs.find((e) => e.name === (o.env ?? DEFAULT_ENVIRONMENT)) ??
            (o.env ? undefined : envs[0]);
          if (o.env && !env) throw new AppError('not_found', `environment "${o.env}" not found`);
          await mkdir(join(o.out, 'tests'), { recursive: true });
          const used = new Set<string>();
          let usesAxe = false;
          for (const t of tests) {
            let name = slugify(t.name);
            for (let i = 2; used.has(name); i++) name = `${slugify(t.name)}-${i}`;
            used.add(name);
            const spec = exportPlaywrightSpec(
              {
                name: t.name,
                steps: t.steps,
                // Environment values win over the test's own, as in a Greenlight run.
                variables: { ...t.variables, ...(env?.variables ?? {}) },
                tags: t.tags,
                timeoutMs: t.timeoutMs,
                stepTimeoutMs: t.stepTimeoutMs,
              },
              // Secrets are read from the environment at run time, never written into the files.
              {
                secretNames: env?.secretNames ?? [],
                testDataDir: testDataDir(config.dataDir, project.id),
              },
            );
            usesAxe ||= spec.includes("from '@axe-core/playwright'");
            await writeFile(join(o.out, 'tests', `${name}.spec.ts`), spec);
          }
          const baseUrl = o.baseUrl ?? env?.baseUrl ?? project.baseUrl;
          await writeFile(
            join(o.out, 'package.json'),
            exportPackageJson(project.slug, exportedVersions(usesAxe)),
          );
          await writeFile(
            join(o.out, '.env.example'),
            exportEnvExample({
              project: project.slug,
              environment: env?.name ?? null,
              baseUrl,
              baseUrlEnv: 'BASE_URL',
              variables: exportedVariables(
                tests.map((t) => ({
                  steps: t.steps,
                  variables: { ...t.variables, ...(env?.variables ?? {}) },
                })),
                env?.secretNames ?? [],
              ),
            }),
          );
          const chromiumPath = findChromium({ chromiumPath: config.chromiumPath });
          await writeFile(
            join(o.out, 'playwright.config.ts'),
            exportPlaywrightConfig({
              baseUrl,
              workers: o.workers,
              chromiumPath,
            }),
          );
          process.stdout.write(
            `Wrote ${plural(tests.length, 'spec file')}, playwright.config.ts, package.json and .env.example to ${resolve(o.out)}\n` +
              `Run them: cd ${resolve(o.out)} && npm install && npx playwright test\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
