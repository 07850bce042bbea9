import type { ScanOutcome } from '../domain/scan.ts';
import type { Store } from '../store/connect.ts';

/** How a run's scan ended, from the store: `pending` while it runs, null when there is none. */
export async function runScanOutcome(
  store: Store,
  runId: string,
): Promise<ScanOutcome | 'pending' | null> {
  const scan = await store.scans.forRun(runId);
  if (!scan) return null;
  if (scan.status === 'queued' || scan.status === 'running') return 'pending';
  const gate = scan.gate as { reason?: string | null } | null;
  return {
    status: scan.status,
    reason: scan.status === 'error' ? scan.error : (gate?.reason ?? null),
  };
}
