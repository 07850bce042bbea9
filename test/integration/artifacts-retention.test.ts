import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { openRunArtifact } from '../../src/engine/artifact-files.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { passingExecutor } from './api-harness.ts';
import { addTests, dialects, newProject } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { FilesystemArtifactStore } from '../../src/store/artifacts/filesystem.ts';

/** Retention on both databases: by count and by age, with an injected clock. */

// Each test leaves one 1 KB screenshot in its attempt folder, as a browser run would.
const executor: TestExecutor = async (job) => {
  const outcome = await passingExecutor(job);
  mkdirSync(job.artifactsDir, { recursive: true });
  writeFileSync(join(job.artifactsDir, 'step-1.png'), Buffer.alloc(1024, 1));
  return {
    ...outcome,
    artifacts: {
      screenshots: [{ name: 'step-1', path: `${job.artifactsBase}/step-1.png`, step: 0 }],
    },
  };
};

afterEach(stopEngines);

describe.each(dialects)('artifact retention on %s', (dialect) => {
  it('keeps the newest N finished runs per project, then expires by age; expired paths answer 410', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const { t, engine } = await startEngine(dialect, executor, {
      workers: 1,
      clock: () => now,
      artifacts: { retention: { days: 10, runs: 2 } },
    });
    const project = await newProject(t.store);
    const other = await newProject(t.store);
    for (const p of [project, other]) await addTests(t.store, p, ['one']);

    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      now = new Date(now.getTime() + 60_000);
      const run = await engine.createRun(project.id, { trigger: { source: 'api' } });
      await engine.waitForRun(run.id, { timeoutMs: 20_000 });
      runIds.push(run.id);
    }
    const otherRun = await engine.createRun(other.id, { trigger: { source: 'api' } });
    await engine.waitForRun(otherRun.id, { timeoutMs: 20_000 });
    const dirOf = (id: string): string => join(t.dir, 'artifacts', id);
    for (const id of [...runIds, otherRun.id]) expect(existsSync(dirOf(id))).toBe(true);

    // By count: the oldest of three runs goes; the other project's single run stays.
    const first = await engine.sweepArtifacts();
    expect(first.runs.map((r) => r.runId)).toEqual([runIds[0]]);
    expect(first.bytes).toBe(1024);
    expect(existsSync(dirOf(runIds[0]!))).toBe(false);
    for (const id of [runIds[1]!, runIds[2]!, otherRun.id])
      expect(existsSync(dirOf(id))).toBe(true);
    expect(await t.store.artifactExpiry.expiredAt(runIds[0]!)).toBe(now.toISOString());
    expect(await t.store.artifactExpiry.expiredAt(runIds[1]!)).toBeNull();

    const results = await t.store.results.listByRun(runIds[0]!);
    const path = results[0]!.artifacts.screenshots![0]!.path.split('/').slice(2).join('/');
    const run0 = (await t.store.runs.get(project.id, runIds[0]!))!;
    const gone = await openRunArtifact(
      t.store,
      new FilesystemArtifactStore(t.dir),
      run0,
      path,
    ).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(AppError);
    expect((gone as AppError).code).toBe('artifact_expired');
    expect((gone as AppError).status).toBe(410);
    const run1 = (await t.store.runs.get(project.id, runIds[1]!))!;
    const kept = await openRunArtifact(
      t.store,
      new FilesystemArtifactStore(t.dir),
      run1,
      path.replace(runIds[0]!, runIds[1]!),
    );
    expect(kept.bytes).toBe(1024);
    kept.stream.destroy();

    // Nothing more to do until time passes; an expired run is not counted twice.
    expect((await engine.sweepArtifacts()).runs).toEqual([]);

    // By age: eleven days later every finished run is past the 10 days.
    now = new Date(now.getTime() + 11 * 86_400_000);
    const second = await engine.sweepArtifacts();
    expect(second.runs.map((r) => r.runId).sort()).toEqual(
      [runIds[1]!, runIds[2]!, otherRun.id].sort(),
    );
    expect(second.bytes).toBe(3 * 1024);
    for (const id of [...runIds, otherRun.id]) expect(existsSync(dirOf(id))).toBe(false);
    for (const id of [runIds[1]!, runIds[2]!, otherRun.id]) {
      expect(await t.store.artifactExpiry.expiredAt(id)).toBe(now.toISOString());
    }
    // The record of the first expiry is kept.
    expect(await t.store.artifactExpiry.expiredAt(runIds[0]!)).not.toBe(now.toISOString());
  }, 60_000);

  it('never touches a run that has not finished', async () => {
    const { t, engine } = await startEngine(dialect, executor, {
      workers: 1,
      clock: () => new Date('2040-01-01T00:00:00.000Z'),
      start: false,
    });
    const project = await newProject(t.store);
    await addTests(t.store, project, ['one']);
    // Not started: the run stays queued, and its folder (as a running test would have it) stays.
    const run = await engine.createRun(project.id, { trigger: { source: 'api' } });
    mkdirSync(join(t.dir, 'artifacts', run.id), { recursive: true });
    const report = await engine.sweepArtifacts();
    expect(report.runs).toEqual([]);
    expect(existsSync(join(t.dir, 'artifacts', run.id))).toBe(true);
  });
});
