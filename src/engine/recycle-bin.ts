import { rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { AppError, notFound } from '../domain/errors.ts';
import { DEFAULT_RECYCLE_BIN_DAYS } from '../domain/workspace-settings.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';
import type { Store } from '../store/connect.ts';
import type { PurgedFiles } from '../store/recycle-bin.ts';
import { safeFileName } from '../runner/artifacts.ts';

/** What the recycle bin holds. */
export const recycleBinKinds = ['project', 'test'] as const;
export type RecycleBinKind = (typeof recycleBinKinds)[number];

export interface RecycleBinDeps {
  store: Store;
  /** Run artifacts and baselines of purged items are deleted from it. */
  artifactStore: ArtifactStore;
  /** Test data of purged projects is deleted below it. */
  dataDir: string;
  clock: () => Date;
  /** Only info and warn are used, so a request's logger fits too. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

const DAY_MS = 86_400_000;

const notInBin = (kind: RecycleBinKind): AppError => notFound(`${kind} in the recycle bin`);

/** Days a workspace keeps deleted items before the cleanup purges them. */
export async function retentionDays(store: Store, workspaceId: string): Promise<number> {
  const s = await store.workspaceSettings.get(workspaceId, 'recycle_bin');
  return s?.value.retentionDays ?? DEFAULT_RECYCLE_BIN_DAYS;
}

/**
 * Bring a deleted project or test of the workspace back. A test whose project is deleted answers
 * 409 (restore the project first); a slug or key a live item took meanwhile answers 409 too.
 * Restoring a project brings back its tests as they were: tests deleted on their own stay in the bin.
 */
export async function restoreItem(
  store: Store,
  workspaceId: string,
  kind: RecycleBinKind,
  id: string,
): Promise<void> {
  if (kind === 'project') {
    if (!(await store.recycleBin.project(workspaceId, id))) throw notInBin(kind);
    if (!(await store.recycleBin.restoreProject(id))) throw notInBin(kind);
    return;
  }
  const test = await store.recycleBin.test(workspaceId, id);
  if (!test) throw notInBin(kind);
  if (test.projectDeleted) {
    throw new AppError(
      'conflict',
      `the test's project "${test.projectSlug}" is deleted: restore the project first`,
      { projectId: test.projectId },
    );
  }
  if (!(await store.recycleBin.restoreTest(id))) throw notInBin(kind);
}

/** Delete an item of the workspace's recycle bin for good, with its files; 404 when not in it. */
export async function purgeItem(
  deps: RecycleBinDeps,
  workspaceId: string,
  kind: RecycleBinKind,
  id: string,
): Promise<void> {
  const found =
    kind === 'project'
      ? await deps.store.recycleBin.project(workspaceId, id)
      : await deps.store.recycleBin.test(workspaceId, id);
  if (!found) throw notInBin(kind);
  await purge(deps, kind, id, 'projectId' in found ? found.projectId : id);
}

async function purge(
  deps: RecycleBinDeps,
  kind: RecycleBinKind,
  id: string,
  projectId: string,
): Promise<void> {
  const files =
    kind === 'project'
      ? await deps.store.recycleBin.purgeProject(id)
      : await deps.store.recycleBin.purgeTest(id);
  await removeFiles(deps, files, kind === 'project' ? projectId : null);
  deps.logger?.info({ kind, id }, 'purged from the recycle bin');
}

/**
 * Files beside purged rows: run artifact folders, baseline images, and for a project its
 * baseline and test-data folders. Best effort: a file left behind is logged, the rows are gone.
 */
async function removeFiles(
  deps: RecycleBinDeps,
  files: PurgedFiles,
  projectId: string | null,
): Promise<void> {
  const store = deps.artifactStore;
  const removals: [string, () => Promise<unknown>][] = [
    ...files.runIds.map((runId): [string, () => Promise<unknown>] => {
      const prefix = `artifacts/${runId}/`;
      return [prefix, () => store.deletePrefix(prefix)];
    }),
    ...files.baselinePaths.map((key): [string, () => Promise<unknown>] => [
      key,
      () => store.delete(key),
    ]),
  ];
  if (projectId) {
    const baselines = `baselines/${safeFileName(projectId)}/`;
    removals.push([baselines, () => store.deletePrefix(baselines)]);
    // Test data is read by the runner from local disk on every machine, not from the store.
    const root = resolve(deps.dataDir);
    const testData = resolve(root, 'test-data', projectId);
    if (testData.startsWith(root + sep)) {
      removals.push([
        join('test-data', projectId),
        () => rm(testData, { recursive: true, force: true }),
      ]);
    }
  }
  for (const [what, remove] of removals) {
    await remove().catch((err: unknown) => {
      deps.logger?.warn({ err, path: what }, 'could not delete a purged item’s files');
    });
  }
}

/**
 * Purge what has been in the recycle bin longer than its workspace's retention (default 30
 * days). Run by the background cleanup beside the artifact sweep; returns how many it purged.
 */
export async function purgeExpired(
  deps: RecycleBinDeps,
): Promise<{ projects: number; tests: number }> {
  const now = deps.clock().getTime();
  const settings = await deps.store.workspaceSettings.everywhere('recycle_bin');
  // Nothing younger than the shortest possible retention (1 day) can be due.
  const items = await deps.store.recycleBin.deletedBefore(new Date(now - DAY_MS).toISOString());
  const purged = { projects: 0, tests: 0 };
  // Projects first: a test of a purged project is gone with it.
  const ordered = [...items].sort((a, b) =>
    a.kind === b.kind ? 0 : a.kind === 'project' ? -1 : 1,
  );
  const gone = new Set<string>();
  for (const item of ordered) {
    const days =
      (item.workspaceId ? settings.get(item.workspaceId)?.retentionDays : undefined) ??
      DEFAULT_RECYCLE_BIN_DAYS;
    if (Date.parse(item.deletedAt) > now - days * DAY_MS) continue;
    if (item.kind === 'test' && gone.has(item.projectId)) continue;
    await purge(deps, item.kind, item.id, item.projectId);
    if (item.kind === 'project') gone.add(item.id);
    purged[item.kind === 'project' ? 'projects' : 'tests']++;
  }
  return purged;
}
