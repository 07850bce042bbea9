import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import { sweepArtifacts } from '../../engine/artifact-retention.ts';
import { openArtifactStore } from '../../store/artifacts/open.ts';
import { openStore } from '../../store/connect.ts';
import { plural } from '../plural.ts';

/** `1.5 MB`, `320 KB`, `12 B`. */
function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

/** `greenlight artifacts prune`: the retention sweep the server runs hourly, once, now. */
export function registerArtifacts(program: Command): void {
  const artifacts = program
    .command('artifacts')
    .description('manage the screenshots, traces and videos runs keep');
  artifacts
    .command('prune')
    .description(
      'delete the artifacts of runs past retention (GREENLIGHT_ARTIFACT_RETENTION_DAYS / _RUNS) and print what was freed',
    )
    .option('--project <project>', 'only this project (slug or id)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { project?: string; json?: boolean }) => {
      const config = loadConfig();
      const store = await openStore({ databaseUrl: config.databaseUrl });
      const artifactStore = await openArtifactStore(config);
      try {
        let projectId: string | undefined;
        if (o.project) {
          const project = await store.projects.get(o.project);
          if (!project) throw new AppError('not_found', `project "${o.project}" not found`);
          projectId = project.id;
        }
        const report = await sweepArtifacts(
          { store, artifactStore, dataDir: config.dataDir, clock: () => new Date() },
          { days: config.artifactRetentionDays, runs: config.artifactRetentionRuns },
          projectId ? { projectId } : {},
        );
        if (o.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        for (const r of report.runs) {
          process.stdout.write(`  run ${r.runId}: ${formatBytes(r.bytes)}\n`);
        }
        process.stdout.write(
          `Freed ${formatBytes(report.bytes)} from ${plural(report.runs.length, 'run')} ` +
            `(keeping ${config.artifactRetentionDays} days, newest ${config.artifactRetentionRuns} runs per project)\n`,
        );
      } finally {
        await artifactStore.close();
        await store.close();
      }
    });
}
