import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, notFound } from '../domain/errors.ts';
import type { GateResult } from '../domain/scan.ts';
import type { ScanService } from '../engine/scan-service.ts';
import { ScanAdmin } from '../engine/scan-admin.ts';
import { renderScanReport, type ScanReportFormat } from '../report/scan-report.ts';
import type { Store } from '../store/connect.ts';
import type { ScanRecord } from '../store/scans.ts';
import type { SseStreams } from './sse.ts';

/** The scan service and admin of an app (buildApp always provides the service). */
export function scanParts(deps: { store: Store; scans?: ScanService }): {
  scans: ScanService;
  admin: ScanAdmin;
} {
  if (!deps.scans) throw new AppError('unavailable', 'scans are not enabled on this server');
  return { scans: deps.scans, admin: new ScanAdmin(deps.store, deps.scans) };
}

export const scanDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    runId: z.string().nullable(),
    status: z.enum(['queued', 'running', 'passed', 'failed', 'error']),
    source: z.string(),
    branch: z.string().nullable(),
    commitSha: z.string().nullable(),
    base: z.string().nullable(),
    summary: z.record(z.string(), z.unknown()).nullable(),
    gate: z.record(z.string(), z.unknown()).nullable(),
    warnings: z.array(z.string()),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Scan' });

export const toScanDto = (s: ScanRecord): z.output<typeof scanDto> => ({
  id: s.id,
  projectId: s.projectId,
  runId: s.runId,
  status: s.status,
  source: s.source,
  branch: s.branch,
  commitSha: s.commitSha,
  base: s.base,
  summary: s.summary,
  gate: s.gate,
  warnings: s.warnings,
  error: s.error,
  createdAt: s.createdAt,
  startedAt: s.startedAt,
  finishedAt: s.finishedAt,
});

/** Every finding of a finished scan (reports read them all, within a cap). */
async function allFindings(store: Store, scanId: string) {
  return (await store.scans.findings(scanId, { limit: 10_000, offset: 0 })).findings;
}

/** One report of a stored scan. */
export async function scanReportText(
  store: Store,
  project: { slug: string; name: string },
  scan: ScanRecord,
  format: ScanReportFormat,
): Promise<string> {
  if (scan.status === 'queued' || scan.status === 'running')
    throw new AppError('conflict', 'the scan is still running');
  return renderScanReport(format, {
    scanId: scan.id,
    project,
    status: scan.status,
    findings: await allFindings(store, scan.id),
    gate: scan.gate as GateResult | null,
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
  });
}

/** The scan of this project, or 404. */
export async function scanOf(store: Store, projectId: string, scanId: string): Promise<ScanRecord> {
  const s = await store.scans.get(projectId, scanId);
  if (!s) throw notFound('scan');
  return s;
}

/** Stream a scan's progress as SSE: `progress` events, then `done` with the scan (also when it had ended). */
export async function streamScan(
  req: FastifyRequest,
  reply: FastifyReply,
  streams: SseStreams,
  scans: ScanService,
  store: Store,
  scan: ScanRecord,
  toBody: (s: ScanRecord) => unknown = toScanDto,
): Promise<void> {
  const stream = streams.open(reply);
  const off = scans.watch(scan.id, (e) => {
    if (e.type === 'progress') stream.send('progress', e.progress);
    else {
      stream.send('done', toBody(e.scan));
      stream.close();
    }
  });
  stream.onClose(off);
  // It may have ended before we subscribed.
  const now = await store.scans.get(scan.projectId, scan.id);
  if (now && now.status !== 'queued' && now.status !== 'running') {
    stream.send('done', toBody(now));
    stream.close();
  }
  void req;
}
