import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { severities, type Severity } from '../../domain/scan.ts';
import { renderScanReport } from '../../report/scan-report.ts';
import { defaultScanConfig, mergeScanConfig } from '../../scan/scan-config.ts';
import { runScan } from '../../scan/scanner.ts';

const severityArg = (v: string): Severity => {
  if (!(severities as readonly string[]).includes(v))
    throw new InvalidArgumentError(`one of ${severities.join(', ')}`);
  return v as Severity;
};

/**
 * `greenlight scan [path]`: the scan gate on this machine, no server: the repository's
 * `.greenlight/scan.yaml` (or `.guard.yaml`) applies; `--base` marks findings already on that git
 * ref as existing. Exit 0 when the gate passes, 1 when it fails, 2 when the scan could not finish.
 */
export function registerScan(program: Command): void {
  program
    .command('scan [path]')
    .description('scan a directory with the scan gate; exit 0 passed, 1 gate failed, 2 error')
    .option('--base <ref>', 'git ref of the base branch: findings already there are not new')
    .option('--sarif <file>', 'write a SARIF 2.1.0 report')
    .option('--junit <file>', 'write a JUnit XML report')
    .option(
      '--fail-on <severity>',
      'fail on any finding at or above this severity (instead of the configured gate)',
      severityArg,
    )
    .option('--threads <n>', 'worker threads', (v) =>
      Math.max(1, Math.min(16, Number.parseInt(v, 10) || 1)),
    )
    .option('--json', 'print the findings and gate as JSON')
    .action(
      async (
        path: string | undefined,
        o: {
          base?: string;
          sarif?: string;
          junit?: string;
          failOn?: Severity;
          threads?: number;
          json?: boolean;
        },
      ) => {
        const root = resolve(path ?? '.');
        const tty = process.stderr.isTTY;
        const config = mergeScanConfig(
          defaultScanConfig,
          o.failOn
            ? {
                gate: {
                  conditions: [
                    { metric: 'findings', severity: o.failOn, comparator: '>', threshold: 0 },
                  ],
                },
              }
            : undefined,
        );
        let report;
        try {
          report = await runScan({
            root,
            config,
            ...(o.base ? { base: o.base } : {}),
            ...(o.threads ? { threads: o.threads } : {}),
            // --fail-on is the last word: a repository file cannot weaken it.
            ...(o.failOn ? { overrides: { gate: config.gate } } : {}),
            onProgress: (p) => {
              if (tty && p.phase === 'scan')
                process.stderr.write(`\r${p.done}/${p.total} files · ${p.findings} findings`);
            },
          });
        } finally {
          if (tty) process.stderr.write('\r\x1b[K');
        }
        const input = {
          scanId: 'local',
          project: { slug: 'local', name: root },
          status: report.status,
          findings: report.findings,
          gate: report.gate,
        };
        if (o.sarif) await writeFile(o.sarif, renderScanReport('sarif', input));
        if (o.junit) await writeFile(o.junit, renderScanReport('junit', input));
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify({ status: report.status, error: report.error, gate: report.gate, summary: report.summary, findings: report.findings }, null, 2)}\n`,
          );
        } else {
          for (const f of report.findings) {
            const mark = f.suppressed
              ? ' (suppressed)'
              : f.status === 'existing'
                ? ' (existing)'
                : '';
            process.stdout.write(
              `${f.severity.padEnd(8)} ${f.ruleId} ${f.file}${f.startLine ? `:${f.startLine}` : ''}${mark}\n  ${f.message}\n`,
            );
          }
          for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
          const s = report.summary;
          process.stdout.write(
            `\n${s.files} files, ${s.lines} lines, ${s.rules} rules, ${s.skipped.length} skipped; ${s.newFindings} new, ${s.existingFindings} existing, ${s.suppressed} suppressed\n`,
          );
          process.stdout.write(
            report.status === 'error'
              ? `ERROR: ${report.error}\n`
              : report.gate.passed
                ? 'Scan gate PASSED\n'
                : `Scan gate FAILED: ${report.gate.reason}\n`,
          );
        }
        process.exitCode = report.status === 'passed' ? 0 : report.status === 'failed' ? 1 : 2;
      },
    );
}
