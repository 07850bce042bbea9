import { DEFAULT_ENVIRONMENT } from '../../domain/project.ts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { findChromium } from '../../browser/find-chromium.ts';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { slugify } from '../../domain/project.ts';
import { openStore } from '../../store/connect.ts';
import { plural } from '../plural.ts';
import { storeOptions } from '../../store/secret-key.ts';
import { testDataDir } from '../../engine/import-tests.ts';

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
          const project = await store.projects.get(projectRef);
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
            await writeFile(join(o.out, 'tests', `${name}.spec.ts`), spec);
          }
          const chromiumPath = findChromium({ chromiumPath: config.chromiumPath });
          await writeFile(
            join(o.out, 'playwright.config.ts'),
            exportPlaywrightConfig({
              baseUrl: o.baseUrl ?? env?.baseUrl ?? project.baseUrl,
              workers: o.workers,
              chromiumPath,
            }),
          );
          process.stdout.write(
            `Wrote ${plural(tests.length, 'spec file')} and playwright.config.ts to ${o.out}\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
