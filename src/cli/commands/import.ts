import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { testStatuses, type TestStatus } from '../../domain/test-definition.ts';
import { importTestData, importTests, testDataSource } from '../../engine/import-tests.ts';
import { openStore } from '../../store/connect.ts';
import { plural } from '../plural.ts';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import YAML/JSON tests from a folder or file into a project (all or nothing)')
    .argument('<project>', 'project slug or id')
    .argument('<path>', 'folder (searched recursively) or file')
    .option(
      '--status <status>',
      'status for tests whose file sets none (draft | approved | rejected)',
      'draft',
    )
    .action(async (projectRef: string, path: string, o: { status: string }) => {
      if (!(testStatuses as readonly string[]).includes(o.status)) {
        throw new AppError(
          'validation_failed',
          `--status must be one of ${testStatuses.join(', ')}`,
        );
      }
      const config = loadConfig();
      const store = await openStore({ databaseUrl: config.databaseUrl });
      try {
        const project = await store.projects.get(projectRef);
        if (!project) throw new AppError('not_found', `project "${projectRef}" not found`);
        // Checked first: a data folder that cannot be copied must not leave the tests half-imported.
        await testDataSource(config.dataDir, path);
        const s = await importTests(store, project.id, path, {
          defaultStatus: o.status as TestStatus,
        });
        const data = await importTestData(config.dataDir, project.id, path);
        process.stdout.write(
          `Imported ${plural(s.created + s.updated, 'test')} from ${plural(s.files, 'file')} into ${project.slug}: ${s.created} new, ${s.updated} updated` +
            (data ? `; ${plural(data, 'test-data file')}` : '') +
            '\n',
        );
      } finally {
        await store.close();
      }
    });
}
