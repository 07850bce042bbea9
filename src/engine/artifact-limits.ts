import { lstat, readdir, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Artifacts, DroppedArtifact } from '../domain/run.ts';

/** Size limits on what one test attempt and one whole run may keep on disk. */
export interface ArtifactLimits {
  maxFileBytes: number;
  maxRunBytes: number;
}

export const defaultArtifactLimits: Readonly<ArtifactLimits> = Object.freeze({
  maxFileBytes: 50 * 1024 * 1024,
  maxRunBytes: 500 * 1024 * 1024,
});

interface FileEntry {
  path: string;
  bytes: number;
}

/** Regular files under a folder, recursively; symlinks are neither followed nor counted. */
async function filesUnder(dir: string): Promise<FileEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch {
    return [];
  }
  const out: FileEntry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const st = await lstat(path).catch(() => null);
    if (st?.isFile()) out.push({ path, bytes: st.size });
  }
  return out;
}

export interface LimitScope {
  /** Artifact paths in results are relative to this. */
  dataDir: string;
  /** This attempt's folder inside the run's; only its files are dropped. */
  attemptDir: string;
  /**
   * Adds to the run's artifact total and returns the new total: a counter kept with the run,
   * so each test costs the same however many came before it (walking the run's folder after
   * every test made a large run quadratic), and processes sharing the run add to one total.
   */
  addRunBytes(delta: number): Promise<number>;
}

/**
 * Delete the attempt's files over the per-file limit, then, while the run's total is over the
 * per-run limit, the attempt's largest remaining files. Returns what was dropped; the caller
 * takes it out of the result (the test's outcome itself does not change).
 */
async function enforceArtifactLimits(
  scope: LimitScope,
  limits: ArtifactLimits,
): Promise<{ dropped: DroppedArtifact[]; paths: Set<string> }> {
  const dropped: DroppedArtifact[] = [];
  const paths = new Set<string>();
  const drop = async (f: FileEntry, reason: DroppedArtifact['reason']): Promise<void> => {
    await unlink(f.path).catch(() => undefined);
    dropped.push({ name: toSlashes(relative(scope.attemptDir, f.path)), bytes: f.bytes, reason });
    paths.add(toSlashes(relative(scope.dataDir, f.path)));
  };
  const mine = await filesUnder(scope.attemptDir);
  const kept: FileEntry[] = [];
  for (const f of mine) {
    if (f.bytes > limits.maxFileBytes) await drop(f, 'file_limit');
    else kept.push(f);
  }
  const keptBytes = kept.reduce((n, f) => n + f.bytes, 0);
  let total = keptBytes > 0 ? await scope.addRunBytes(keptBytes) : 0;
  if (total > limits.maxRunBytes) {
    kept.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
    let released = 0;
    for (const f of kept) {
      if (total <= limits.maxRunBytes) break;
      await drop(f, 'run_limit');
      total -= f.bytes;
      released += f.bytes;
    }
    await scope.addRunBytes(-released);
  }
  return { dropped, paths };
}

/** The artifacts without the dropped paths; `dropped` (when given) is noted in them. */
export function withoutDropped(
  a: Artifacts,
  paths: ReadonlySet<string>,
  dropped: DroppedArtifact[] = [],
): Artifacts {
  if (paths.size === 0) return a;
  const out: Artifacts = { ...a };
  if (out.screenshot && paths.has(out.screenshot)) delete out.screenshot;
  if (out.trace && paths.has(out.trace)) delete out.trace;
  if (out.video && paths.has(out.video)) delete out.video;
  if (out.screenshots) {
    const left = out.screenshots.filter((s) => !paths.has(s.path));
    if (left.length > 0) out.screenshots = left;
    else delete out.screenshots;
  }
  if (dropped.length > 0) out.dropped = [...(a.dropped ?? []), ...dropped];
  return out;
}

const toSlashes = (p: string): string => p.split(sep).join('/');

/**
 * Apply the limits to one finished attempt: files over them are deleted and the outcome's
 * artifacts (and those of earlier attempts it carries) no longer point at them.
 */
export async function limitOutcomeArtifacts<
  T extends { artifacts: Artifacts; retries?: { artifacts: Artifacts }[] },
>(outcome: T, scope: LimitScope, limits: ArtifactLimits): Promise<T> {
  const { dropped, paths } = await enforceArtifactLimits(scope, limits);
  if (paths.size === 0) return outcome;
  return {
    ...outcome,
    artifacts: withoutDropped(outcome.artifacts, paths, dropped),
    ...(outcome.retries
      ? {
          retries: outcome.retries.map((r) => ({
            ...r,
            artifacts: withoutDropped(r.artifacts, paths),
          })),
        }
      : {}),
  };
}
