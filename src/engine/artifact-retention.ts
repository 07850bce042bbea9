import type { Logger } from 'pino';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';
import type { Store } from '../store/connect.ts';
import { purgeExpired } from './recycle-bin.ts';

/** How long finished runs keep their artifacts: both rules apply, whichever expires first. */
export interface RetentionPolicy {
  /** Runs finished more than this many days ago lose their artifacts. */
  days: number;
  /** Per project, only the newest this many finished runs keep theirs. */
  runs: number;
}

export const defaultRetention: Readonly<RetentionPolicy> = Object.freeze({ days: 30, runs: 100 });

/** What one sweep deleted. */
export interface SweepReport {
  runs: { runId: string; projectId: string; bytes: number }[];
  /** Bytes freed in all. */
  bytes: number;
}

export interface SweepDeps {
  store: Store;
  artifactStore: ArtifactStore;
  /** Test data of purged projects is deleted below it (recycle-bin.ts). */
  dataDir: string;
  clock: () => Date;
  logger?: Logger;
}

const DAY_MS = 86_400_000;

/**
 * Delete the artifacts of the finished runs the policy expires and record when, so their
 * artifact URLs answer 410 from then on. Artifacts that cannot be deleted (the store is down)
 * are left unmarked and tried again by the next sweep.
 */
export async function sweepArtifacts(
  deps: SweepDeps,
  policy: RetentionPolicy,
  opts: { projectId?: string } = {},
): Promise<SweepReport> {
  const now = deps.clock();
  const expiring = await deps.store.artifactExpiry.expiring({
    finishedBefore: new Date(now.getTime() - policy.days * DAY_MS).toISOString(),
    keepNewest: policy.runs,
    ...(opts.projectId ? { projectId: opts.projectId } : {}),
  });
  const report: SweepReport = { runs: [], bytes: 0 };
  for (const run of expiring) {
    let bytes: number;
    try {
      bytes = await deps.artifactStore.deletePrefix(`artifacts/${run.id}/`);
    } catch (err) {
      deps.logger?.warn({ err, runId: run.id }, 'could not delete expired artifacts');
      continue;
    }
    await deps.store.artifactExpiry.markExpired([run.id], now.toISOString());
    report.runs.push({ runId: run.id, projectId: run.projectId, bytes });
    report.bytes += bytes;
  }
  if (report.runs.length > 0) {
    deps.logger?.info({ runs: report.runs.length, bytes: report.bytes }, 'expired artifacts');
  }
  return report;
}

/**
 * Sweeps once now and then every `intervalMs` (an unref'd timer: it never holds the process):
 * expired artifacts, then recycle-bin items past their workspace's retention (recycle-bin.ts).
 */
export class ArtifactSweeper {
  readonly #deps: SweepDeps;
  readonly #policy: RetentionPolicy;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<SweepReport> | null = null;

  constructor(deps: SweepDeps, policy: RetentionPolicy, intervalMs = 3_600_000) {
    this.#deps = deps;
    this.#policy = policy;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer) return;
    void this.#tick();
    this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stop the timer and wait for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** One sweep (joins one already in progress for all projects). */
  sweep(opts: { projectId?: string } = {}): Promise<SweepReport> {
    if (opts.projectId) return sweepArtifacts(this.#deps, this.#policy, opts);
    this.#running ??= sweepArtifacts(this.#deps, this.#policy).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #tick(): Promise<void> {
    try {
      await this.sweep();
    } catch (err) {
      this.#deps.logger?.error({ err }, 'artifact retention sweep failed');
    }
    try {
      const purged = await purgeExpired(this.#deps);
      if (purged.projects + purged.tests > 0) {
        this.#deps.logger?.info(purged, 'purged expired recycle-bin items');
      }
    } catch (err) {
      this.#deps.logger?.error({ err }, 'recycle bin purge failed');
    }
  }
}
