import { createWriteStream, mkdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import type { Project } from '../domain/project.ts';
import type { Run } from '../domain/run.ts';
import { reportImageReader } from '../engine/report-images.ts';
import { streamReport, type ReportFormat } from '../report/index.ts';
import { loadReportInput, type ReportSource } from '../report/report-source.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';

/** Report files a local `greenlight run` writes, by format. */
export type ReportFiles = Partial<Record<ReportFormat, string>>;

/** A link from the report file's folder to an artifact in the data dir (`./…` or `../…`). */
function relativeLink(fromFile: string, dataDir: string, path: string): string {
  const rel = relative(dirname(resolve(fromFile)), join(resolve(dataDir), path)).split(sep);
  const joined = rel.map(encodeURIComponent).join('/');
  return joined.startsWith('..') ? joined : `./${joined}`;
}

/**
 * Render and write the requested reports of a finished run; returns `format: file` lines. The
 * HTML report embeds screenshots and links traces relative to where it is written.
 */
export async function writeReports(
  source: ReportSource,
  found: { run: Run; project: Project },
  files: ReportFiles,
  dataDir: string,
  artifacts: ArtifactStore,
): Promise<string[]> {
  const wanted = Object.entries(files).filter((e): e is [ReportFormat, string] => !!e[1]);
  if (wanted.length === 0) return [];
  const base = await loadReportInput(source, found, { toolVersion: pkg.version });
  const readArtifact = wanted.some(([f]) => f === 'html')
    ? await reportImageReader(artifacts, base)
    : undefined;
  // Files below the data dir can be linked from a report on this machine; objects in a bucket cannot.
  const local = artifacts.kind === 'filesystem';
  const written: string[] = [];
  for (const [format, file] of wanted) {
    const input = {
      ...base,
      ...(local ? { links: { artifactUrl: (p: string) => relativeLink(file, dataDir, p) } } : {}),
    };
    const report = streamReport(format, input, readArtifact ? { readArtifact } : {});
    mkdirSync(dirname(resolve(file)), { recursive: true });
    await pipeline(Readable.from(report.chunks), createWriteStream(file));
    written.push(`${format}: ${file}`);
  }
  return written;
}
