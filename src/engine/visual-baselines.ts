import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { AppError, notFound } from '../domain/errors.ts';
import type { TestResult } from '../domain/run.ts';
import type { BaselineSource, VisualBaseline, VisualCheck } from '../domain/visual.ts';
import { safeFileName } from '../runner/artifacts.ts';
import { pngSize } from '../runner/visual-compare.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';
import type { Store } from '../store/connect.ts';

/** Where one image came from: the run and, for an accepted one, who accepted it. */
interface Origin {
  runId: string;
  acceptedBy: string | null;
}

/** An absolute path under a folder from a stored relative one; refuses to leave it. */
function under(dir: string, relative: string): string {
  const root = resolve(dir);
  const path = resolve(root, relative);
  if (!path.startsWith(root + sep)) throw new Error(`path ${relative} leaves ${root}`);
  return path;
}

/** The runner's read access to one test's baselines, backed by the store and the artifact store. */
export function baselineSource(
  store: Store,
  artifacts: ArtifactStore,
  projectId: string,
  testId: string,
): BaselineSource {
  return {
    async get(name, variant) {
      const b = await store.visualBaselines.find(projectId, { testId, name, variant });
      if (!b) return null;
      // A row whose file was removed by hand counts as no baseline: the next run records one.
      // A store that cannot be read is an error, not "no baseline": a new one would pass the
      // check while a regression went unseen.
      return artifacts.read(b.path);
    },
  };
}

/** Copy an image into the baselines folder under a name that changes with its content. */
async function storeImage(
  artifacts: ArtifactStore,
  bytes: Buffer,
  projectId: string,
  testId: string,
  check: VisualCheck,
  origin: Origin,
): Promise<VisualBaseline> {
  const { width, height } = pngSize(bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // Content-addressed, so a run reading the old image never sees a half-written new one.
  const file = `${safeFileName(check.name) || 'screenshot'}-${safeFileName(check.variant)}-${sha256.slice(0, 12)}.png`;
  const path = ['baselines', safeFileName(projectId), safeFileName(testId), file].join('/');
  await artifacts.putBuffer(path, bytes, 'image/png');
  return {
    id: randomUUID(),
    projectId,
    testId,
    name: check.name,
    variant: check.variant,
    path,
    sha256,
    width,
    height,
    createdAt: new Date().toISOString(),
    acceptedBy: origin.acceptedBy,
    sourceRunId: origin.runId,
  };
}

async function removeImage(
  artifacts: ArtifactStore,
  b: VisualBaseline,
  keep?: VisualBaseline,
): Promise<void> {
  if (keep && keep.path === b.path) return;
  await artifacts.delete(b.path);
}

/**
 * Store the first images of screenshots that had no baseline (status `new`) as their baselines.
 * A parallel attempt may have recorded one meanwhile: the first stays. Runs right after the
 * test, while its images are still in the artifact store's staging folder.
 */
export async function recordNewBaselines(
  store: Store,
  artifacts: ArtifactStore,
  run: { id: string; projectId: string },
  testId: string,
  checks: VisualCheck[],
  logger?: Logger,
): Promise<void> {
  for (const check of checks) {
    if (check.status !== 'new') continue;
    try {
      const bytes = await readFile(under(artifacts.stagingRoot, check.actual));
      const b = await storeImage(artifacts, bytes, run.projectId, testId, check, {
        runId: run.id,
        acceptedBy: null,
      });
      if (!(await store.visualBaselines.insertIfAbsent(b))) {
        const kept = await store.visualBaselines.find(run.projectId, b);
        if (kept?.path !== b.path) await removeImage(artifacts, b);
      }
    } catch (e) {
      // The test's verdict stands; the next run simply records the baseline again.
      logger?.warn(
        { runId: run.id, testId, name: check.name, err: e instanceof Error ? e.message : e },
        'recording a visual baseline failed',
      );
    }
  }
}

/** The latest compared screenshot of a test in a run by name (retries: the last attempt's). */
function findCheck(results: TestResult[], testId: string, name: string): VisualCheck | undefined {
  const mine = results.filter((r) => r.testId === testId).sort((a, b) => b.attempt - a.attempt);
  for (const r of mine) {
    const found = [...(r.visual ?? [])].reverse().find((c) => c.name === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Make a run's image of a screenshot the baseline (who accepted it, from which run). 404 for an
 * unknown run, test or screenshot; 409 when the screenshot matched and there is nothing to accept.
 */
export async function acceptBaseline(
  store: Store,
  artifacts: ArtifactStore,
  projectId: string,
  runId: string,
  target: { testId: string; name: string },
  acceptedBy: string,
): Promise<VisualBaseline> {
  const run = await store.runs.get(projectId, runId);
  if (!run) throw notFound('run');
  const results = await store.results.listByRun(run.id, projectId);
  if (!results.some((r) => r.testId === target.testId)) throw notFound('test result in this run');
  const check = findCheck(results, target.testId, target.name);
  if (!check) throw notFound(`compared screenshot "${target.name}" in this run`);
  if (check.status === 'matched') {
    throw new AppError(
      'conflict',
      `screenshot "${target.name}" matched its baseline: nothing to accept`,
    );
  }
  const bytes = await artifacts.read(check.actual);
  if (!bytes) throw notFound(`the image of screenshot "${target.name}" (its artifacts are gone)`);
  const b = await storeImage(artifacts, bytes, projectId, target.testId, check, {
    runId,
    acceptedBy,
  });
  const old = await store.visualBaselines.replace(b);
  if (old) await removeImage(artifacts, old, b).catch(() => undefined);
  return (await store.visualBaselines.find(projectId, b)) ?? b;
}

/** Delete one baseline and its image; the next run of its test records a new one. */
export async function deleteBaseline(
  store: Store,
  artifacts: ArtifactStore,
  projectId: string,
  id: string,
): Promise<void> {
  const b = await store.visualBaselines.delete(projectId, id);
  if (!b) throw notFound('baseline');
  await removeImage(artifacts, b).catch(() => undefined);
}
