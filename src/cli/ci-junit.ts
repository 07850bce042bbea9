import { writeFileSync } from 'node:fs';
import type { RunStatus, TestResult } from '../domain/run.ts';
import { renderJunit } from '../report/junit.ts';
import { CiHttpError, type CiClient, type CiRun, type ResultItem } from './ci-client.ts';

/** Report files `greenlight ci run` can write, by server report format. */
export interface CiReportFiles {
  junit?: string;
  html?: string;
  sarif?: string;
  markdown?: string;
  json?: string;
}

const labels: Record<keyof CiReportFiles, string> = {
  junit: 'JUnit',
  html: 'HTML',
  sarif: 'SARIF',
  markdown: 'Markdown',
  json: 'JSON report',
};

/**
 * Write the requested reports of a finished run. The server renders them (src/report, with the
 * suites, steps and screenshots only it has); a server without the report route still gets a
 * JUnit file, rendered here by the same renderer from the results the pipeline API returns.
 * Returns one `Label: file` line per file written; failures are reported on stderr.
 */
export async function writeCiReports(
  client: CiClient,
  files: CiReportFiles,
  fallback: { project: string; run: CiRun; results: ResultItem[] },
): Promise<string[]> {
  const written: string[] = [];
  for (const format of Object.keys(labels) as (keyof CiReportFiles)[]) {
    const file = files[format];
    if (!file) continue;
    try {
      let body: string;
      try {
        body = await client.report(fallback.run.runId, format);
      } catch (e) {
        if (format !== 'junit' || !(e instanceof CiHttpError) || e.status !== 404) throw e;
        body = localJunit(fallback.project, fallback.run, fallback.results);
      }
      writeFileSync(file, body);
      written.push(`${labels[format]}: ${file}`);
    } catch (e) {
      // A report that cannot be written is said loudly but does not replace the run's verdict.
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(
        `greenlight: could not write the ${labels[format]} report: ${message}\n`,
      );
    }
  }
  return written;
}

const statusOf = (s: string): TestResult['status'] =>
  s === 'passed' || s === 'failed' || s === 'skipped' ? s : 'error';

/** JUnit from the pipeline API's result items (no suites or artifacts: they are not in them). */
function localJunit(project: string, run: CiRun, results: ResultItem[]): string {
  const now = new Date().toISOString();
  const runStatus: RunStatus = run.runStatus ?? (run.status === 'completed' ? 'passed' : 'failed');
  return renderJunit({
    project: { slug: project, name: project },
    run: {
      id: run.runId,
      projectId: project,
      status: runStatus,
      trigger: { source: 'ci' },
      selection: {},
      testIds: results.map((r) => r.testId),
      baseUrl: '',
      environment: null,
      parallelWorkers: 1,
      error: run.error,
      total: run.total,
      passed: run.passed,
      failed: run.failed,
      skipped: 0,
      errored: 0,
      flaky: 0,
      quarantined: 0,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
    },
    results: results.map((r, i) => ({
      id: `${r.testId}-${i}`,
      runId: run.runId,
      testId: r.testId,
      testName: r.testName,
      status: statusOf(r.status),
      attempt: 1,
      durationMs: r.durationMs,
      failedStep: r.failedStep ?? null,
      error: r.error,
      steps: (r.steps ?? []).map((s, index) => ({
        index,
        action: '',
        description: s.description,
        status: index === r.failedStep ? 'failed' : 'passed',
        durationMs: 0,
      })),
      consoleErrors: [],
      failedRequests: [],
      artifacts: {},
      startedAt: now,
      finishedAt: now,
    })),
  });
}
