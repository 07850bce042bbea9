import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { slugify } from '../../domain/project.ts';
import { openStore } from '../../store/connect.ts';

export function registerProjects(program: Command): void {
  program
    .command('projects')
    .description('list projects')
    .action(async () => {
      const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
      try {
        const projects = await store.projects.list();
        if (projects.length === 0)
          process.stdout.write(
            'No projects yet: greenlight project create <name> --base-url <url>\n',
          );
        for (const p of projects) {
          const c = await store.tests.counts(p.id);
          process.stdout.write(
            `${p.slug}\t${p.name}\t${p.baseUrl}\t${c.approved} approved, ${c.draft} drafts\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
  program
    .command('project')
    .description('create a project')
    .command('create')
    .argument('<name>', 'project name')
    .requiredOption('--base-url <url>', 'base URL of the site under test')
    .option('--slug <slug>', 'URL-friendly id (default: from the name)')
    .action(async (name: string, o: { baseUrl: string; slug?: string }) => {
      try {
        new URL(o.baseUrl);
      } catch {
        throw new AppError('validation_failed', `--base-url is not a URL: ${o.baseUrl}`);
      }
      const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
      try {
        const slug = o.slug ?? slugify(name);
        if (await store.projects.get(slug))
          throw new AppError('conflict', `a project with slug "${slug}" exists`);
        const p = await store.projects.create({ slug, name, baseUrl: o.baseUrl });
        process.stdout.write(`Created project ${p.slug} (${p.id})\n`);
      } finally {
        await store.close();
      }
    });
}
