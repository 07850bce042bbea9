import type { Project } from '../domain/project.ts';
import type { Run, TestResult } from '../domain/run.ts';
import type { ScanFinding } from '../domain/scan.ts';
import type { Test } from '../domain/test.ts';
import { healedTests } from './healed.ts';
import type { ReportInput, ReportLinks, ReportTestInfo } from './report-model.ts';

/**
 * What building a report needs to read. The store satisfies it structurally, so the report layer
 * stays free of store imports (see the layer rules in eslint.config.js) and tests can hand in
 * plain objects.
 */
export interface ReportSource {
  runs: { get(projectId: string | null, id: string): Promise<Run | undefined> };
  results: { listByRun(runId: string, projectId?: string): Promise<TestResult[]> };
  tests: {
    /** Suite, tags and key of the project's tests among `ids`; unknown ids are left out. */
    infoByIds(
      projectId: string,
      ids: readonly string[],
    ): Promise<(Pick<Test, 'id'> & ReportTestInfo)[]>;
  };
  projects: { get(idOrSlug: string): Promise<Project | undefined> };
  /** The run's scan findings; optional so sources without scans still work. */
  scans?: {
    forRun(runId: string): Promise<{ id: string } | undefined>;
    findings(
      scanId: string,
      q: { limit: number; offset: number },
    ): Promise<{ findings: ScanFinding[] }>;
  };
}

/** At most this many findings go into one report. */
const MAX_REPORT_FINDINGS = 5000;

async function runFindings(
  source: ReportSource,
  runId: string,
): Promise<ScanFinding[] | undefined> {
  const scan = await source.scans?.forRun(runId);
  if (!scan || !source.scans) return undefined;
  return (await source.scans.findings(scan.id, { limit: MAX_REPORT_FINDINGS, offset: 0 })).findings;
}

/** The run's project and run, or undefined when either is unknown. */
export async function findRun(
  source: ReportSource,
  runId: string,
  projectId: string | null = null,
): Promise<{ run: Run; project: Project } | undefined> {
  const run = await source.runs.get(projectId, runId);
  const project = run ? await source.projects.get(run.projectId) : undefined;
  return run && project ? { run, project } : undefined;
}

/** Suite, tags and key of each test of the results (tests deleted since are simply absent). */
async function testInfos(
  source: ReportSource,
  projectId: string,
  ids: string[],
): Promise<Map<string, ReportTestInfo>> {
  const infos = await source.tests.infoByIds(projectId, ids);
  return new Map(infos.map((t) => [t.id, { suite: t.suite, tags: t.tags, key: t.key }]));
}

/** Results in the run's planned order, attempts in order, so every report lists tests alike. */
function plannedOrder(run: Run, results: TestResult[]): TestResult[] {
  const pos = new Map(run.testIds.map((id, i) => [id, i]));
  const at = (r: TestResult): number => pos.get(r.testId) ?? Number.MAX_SAFE_INTEGER;
  return [...results].sort(
    (a, b) =>
      at(a) - at(b) ||
      // Rows of a data test in data-set order.
      Number(a.variant ?? 0) - Number(b.variant ?? 0) ||
      a.attempt - b.attempt ||
      a.startedAt.localeCompare(b.startedAt),
  );
}

/** Read everything a report of this run needs into a ReportInput. */
export async function loadReportInput(
  source: ReportSource,
  found: { run: Run; project: Project },
  extra: { links?: ReportLinks; toolVersion?: string } = {},
): Promise<ReportInput> {
  const { run, project } = found;
  const results = plannedOrder(run, await source.results.listByRun(run.id, run.projectId));
  const ids = [...new Set(results.map((r) => r.testId))];
  const healed = healedTests(results);
  const findings = await runFindings(source, run.id);
  return {
    run,
    results,
    ...(findings ? { findings } : {}),
    ...(healed.length > 0 ? { healed } : {}),
    tests: await testInfos(source, run.projectId, ids),
    project: { slug: project.slug, name: project.name },
    ...(extra.links ? { links: extra.links } : {}),
    ...(extra.toolVersion ? { toolVersion: extra.toolVersion } : {}),
  };
}
