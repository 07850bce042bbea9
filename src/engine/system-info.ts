import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { findChromium } from '../browser/find-chromium.ts';
import { PLAYWRIGHT_VERSION } from '../browser/playwright.ts';
import type { Config } from '../config.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';
import type { Store } from '../store/connect.ts';
import { knownMigrations } from '../store/migrate.ts';
import { readQueueStats } from '../store/queue-stats.ts';
import {
  appliedMigrations,
  workspaceCounts,
  type WorkspaceCounts,
} from '../store/system-counts.ts';

const run = promisify(execFile);

/** What an administrator sees on Settings → System. */
export interface SystemInfo {
  version: string;
  nodeVersion: string;
  playwrightVersion: string;
  uptimeSeconds: number;
  memoryMB: number;
  database: {
    kind: 'sqlite' | 'postgres';
    /** The newest applied migration, how many are applied, and how many this build knows. */
    migration: { latest: string | null; applied: number; known: number };
  };
  queue: { kind: 'local'; running: boolean; queued: number; runningJobs: number };
  browser: {
    /** `local` binary or `remote` run-server (GREENLIGHT_BROWSER_WS). */
    kind: 'local' | 'remote';
    /** The binary, or the remote endpoint's host; null when none was found. */
    path: string | null;
    /** `Chromium 156.0…` as the binary reports it; null for remote or when it cannot say. */
    version: string | null;
    error: string | null;
  };
  counts: WorkspaceCounts;
  disk: {
    dataDir: string;
    /** Where artifacts and baselines are kept: the data folder or `s3://bucket/prefix`. */
    artifactStore: string;
    /** Bytes of run artifacts and visual baselines in the artifact store (0 when it cannot be read). */
    artifactsBytes: number;
    baselinesBytes: number;
    /** Free bytes on the data folder's file system (null when the OS cannot say). */
    freeBytes: number | null;
  };
}

export interface SystemInfoDeps {
  store: Store;
  artifactStore: ArtifactStore;
  config: Pick<Config, 'dataDir' | 'chromiumPath' | 'browserWs'>;
  /** Whether the engine's worker loops run. */
  queueRunning: () => boolean;
  startedAt: number;
  clock?: () => Date;
}

/** Walking the artifact folders costs a stat per file: at most once a minute. */
const DISK_CACHE_MS = 60_000;

/** Reads the system's state for one workspace; browser version and disk use are cached. */
export function systemInfoReader(
  deps: SystemInfoDeps,
): (workspaceId: string) => Promise<SystemInfo> {
  const versions = new Map<string, Promise<string | null>>();
  let disk: { at: number; value: Promise<SystemInfo['disk']> } | null = null;

  const browserVersion = (path: string): Promise<string | null> => {
    let v = versions.get(path);
    if (!v) {
      v = run(path, ['--version'], { timeout: 10_000 })
        .then(({ stdout }) => stdout.trim().split('\n').pop()?.trim() || null)
        .catch(() => null);
      versions.set(path, v);
    }
    return v;
  };

  const browser = async (): Promise<SystemInfo['browser']> => {
    if (deps.config.browserWs) {
      const host = new URL(deps.config.browserWs).host;
      return { kind: 'remote', path: host, version: null, error: null };
    }
    try {
      const path = findChromium(deps.config);
      return { kind: 'local', path, version: await browserVersion(path), error: null };
    } catch (err) {
      return { kind: 'local', path: null, version: null, error: (err as Error).message };
    }
  };

  const readDisk = async (): Promise<SystemInfo['disk']> => {
    const dir = deps.config.dataDir;
    const bytes = (prefix: string): Promise<number> =>
      deps.artifactStore.totalBytes(prefix).catch(() => 0);
    const [artifactsBytes, baselinesBytes, fs] = await Promise.all([
      bytes('artifacts/'),
      bytes('baselines/'),
      statfs(dir).catch(() => null),
    ]);
    return {
      dataDir: dir,
      artifactStore: deps.artifactStore.location,
      artifactsBytes,
      baselinesBytes,
      freeBytes: fs ? fs.bavail * fs.bsize : null,
    };
  };

  return async (workspaceId) => {
    const now = (deps.clock ?? (() => new Date()))();
    if (!disk || now.getTime() - disk.at >= DISK_CACHE_MS) {
      disk = { at: now.getTime(), value: readDisk() };
    }
    const [counts, applied, queue, b, d] = await Promise.all([
      workspaceCounts(deps.store.db, workspaceId),
      appliedMigrations(deps.store.db),
      readQueueStats(deps.store.db, now),
      browser(),
      disk.value,
    ]);
    return {
      version: pkg.version,
      nodeVersion: process.version,
      playwrightVersion: PLAYWRIGHT_VERSION,
      uptimeSeconds: Math.floor((now.getTime() - deps.startedAt) / 1000),
      memoryMB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
      database: {
        kind: deps.store.dialect,
        migration: {
          latest: applied.at(-1) ?? null,
          applied: applied.length,
          known: knownMigrations().length,
        },
      },
      queue: {
        kind: 'local',
        running: deps.queueRunning(),
        queued: queue.queued,
        runningJobs: queue.running,
      },
      browser: b,
      counts,
      disk: d,
    };
  };
}
