import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import { purgeItem } from '../../src/engine/recycle-bin.ts';
import type { Run } from '../../src/domain/run.ts';
import type { VisualCheck } from '../../src/domain/visual.ts';
import {
  acceptBaseline,
  baselineSource,
  deleteBaseline,
  recordNewBaselines,
} from '../../src/engine/visual-baselines.ts';
import { dialects, doc, newProject } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { useTestStore } from '../helpers/suite-store.ts';
import { FilesystemArtifactStore } from '../../src/store/artifacts/filesystem.ts';

/** A PNG of one colour, written as an artifact; returns its path relative to the data dir. */
function artifact(dir: string, runId: string, name: string, grey: number, width = 8): string {
  const img = new PNG({ width, height: 6 });
  img.data.fill(grey);
  const rel = `artifacts/${runId}/${name}.png`;
  mkdirSync(join(dir, 'artifacts', runId), { recursive: true });
  writeFileSync(join(dir, rel), PNG.sync.write(img));
  return rel;
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function check(actual: string, status: VisualCheck['status']): VisualCheck {
  return {
    name: 'home',
    variant: 'chromium-1280x720',
    status,
    width: 8,
    height: 6,
    threshold: 0.1,
    maxDiffRatio: 0,
    actual,
  };
}

describe.each(dialects)('visual baselines in the store on %s', (dialect) => {
  const t = useTestStore(dialect);

  async function setup() {
    const p = await newProject(t.store);
    const test = await t.store.tests.create(p.id, doc('Visual'), { source: 'api' });
    return { p, test };
  }

  async function runWith(projectId: string, testId: string, visual: VisualCheck[]): Promise<Run> {
    const now = new Date().toISOString();
    const run = await t.store.runs.create(
      makeRun(projectId, [testId], {
        status: 'failed',
        createdAt: now,
        startedAt: now,
        finishedAt: now,
      }),
    );
    const result = makeResult(run.id, testId, {
      testName: 'Visual',
      status: visual.some((v) => v.status === 'failed') ? 'failed' : 'passed',
      durationMs: 5,
      visual,
      startedAt: now,
      finishedAt: now,
    });
    await t.store.results.insert(projectId, result);
    return run;
  }

  it('keeps the compared screenshots of a result', async () => {
    const { p, test } = await setup();
    const c = {
      ...check('artifacts/x/home-actual.png', 'failed'),
      diffPixels: 3,
      diffRatio: 0.0625,
      message: 'm',
      expected: 'e.png',
      diff: 'd.png',
    };
    const run = await runWith(p.id, test.id, [c]);
    const [r] = await t.store.results.listByRun(run.id, p.id);
    expect(r?.visual).toEqual([c]);
    const plain = await runWith(p.id, test.id, []);
    const [q] = await t.store.results.listByRun(plain.id, p.id);
    expect(q?.visual).toBeUndefined();
  });

  it('records a first baseline once, accepts a failed image, deletes by project', async () => {
    const { p, test } = await setup();
    const other = await newProject(t.store);
    const first = artifact(t.dir, 'r1', 'home', 40);
    const run1 = await runWith(p.id, test.id, [check(first, 'new')]);
    await recordNewBaselines(t.store, new FilesystemArtifactStore(t.dir), run1, test.id, [
      check(first, 'new'),
    ]);
    // A parallel attempt's image does not replace the first one.
    const late = artifact(t.dir, 'r1b', 'home', 90);
    await recordNewBaselines(t.store, new FilesystemArtifactStore(t.dir), run1, test.id, [
      check(late, 'new'),
    ]);
    const [b] = await t.store.visualBaselines.list(p.id);
    expect(b).toMatchObject({
      testId: test.id,
      name: 'home',
      acceptedBy: null,
      sourceRunId: run1.id,
      width: 8,
      height: 6,
    });
    expect(sha(join(t.dir, b!.path))).toBe(sha(join(t.dir, first)));
    expect(await t.store.visualBaselines.list(p.id)).toHaveLength(1);
    expect(await t.store.visualBaselines.list(other.id)).toEqual([]);
    const source = baselineSource(t.store, new FilesystemArtifactStore(t.dir), p.id, test.id);
    expect(
      (await source.get('home', 'chromium-1280x720'))?.equals(readFileSync(join(t.dir, first))),
    ).toBe(true);
    expect(await source.get('home', 'chromium-390x844')).toBeNull();
    expect(
      await baselineSource(t.store, new FilesystemArtifactStore(t.dir), other.id, test.id).get(
        'home',
        'chromium-1280x720',
      ),
    ).toBeNull();

    const changed = artifact(t.dir, 'r2', 'home', 200);
    const run2 = await runWith(p.id, test.id, [check(changed, 'failed')]);
    // Another project cannot reach this run.
    await expect(
      acceptBaseline(
        t.store,
        new FilesystemArtifactStore(t.dir),
        other.id,
        run2.id,
        { testId: test.id, name: 'home' },
        'x',
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    const accepted = await acceptBaseline(
      t.store,
      new FilesystemArtifactStore(t.dir),
      p.id,
      run2.id,
      { testId: test.id, name: 'home' },
      'ana@example.test',
    );
    expect(accepted).toMatchObject({
      id: b!.id,
      acceptedBy: 'ana@example.test',
      sourceRunId: run2.id,
    });
    expect(sha(join(t.dir, accepted.path))).toBe(sha(join(t.dir, changed)));
    expect(existsSync(join(t.dir, b!.path))).toBe(false);

    const run3 = await runWith(p.id, test.id, [check(changed, 'matched')]);
    const conflict = await acceptBaseline(
      t.store,
      new FilesystemArtifactStore(t.dir),
      p.id,
      run3.id,
      { testId: test.id, name: 'home' },
      'x',
    ).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(AppError);
    expect(conflict).toMatchObject({ code: 'conflict' });

    await expect(
      deleteBaseline(t.store, new FilesystemArtifactStore(t.dir), other.id, b!.id),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await deleteBaseline(t.store, new FilesystemArtifactStore(t.dir), p.id, b!.id);
    expect(await t.store.visualBaselines.list(p.id)).toEqual([]);
    expect(existsSync(join(t.dir, accepted.path))).toBe(false);
  });

  it('keeps the baselines of a deleted test for a restore, and drops them when it is purged', async () => {
    const { p, test } = await setup();
    const img = artifact(t.dir, 'r9', 'home', 10);
    await recordNewBaselines(
      t.store,
      new FilesystemArtifactStore(t.dir),
      { id: 'r9', projectId: p.id },
      test.id,
      [check(img, 'new')],
    );
    const [kept] = await t.store.visualBaselines.list(p.id, test.id);
    expect(kept).toBeDefined();
    await t.store.tests.delete(p.id, test.id);
    expect(await t.store.visualBaselines.list(p.id, test.id)).toEqual([]); // hidden, kept
    expect(existsSync(join(t.dir, kept!.path))).toBe(true);
    const workspaceId = p.workspaceId ?? (await t.store.accounts.createWorkspace('v', true)).id;
    if (!p.workspaceId) await t.store.accounts.adoptOrphanProjects(workspaceId);
    await purgeItem(
      {
        store: t.store,
        artifactStore: new FilesystemArtifactStore(t.dir),
        dataDir: t.dir,
        clock: () => new Date(),
      },
      workspaceId,
      'test',
      test.id,
    );
    expect(await t.store.visualBaselines.list(p.id)).toEqual([]);
    expect(existsSync(join(t.dir, kept!.path))).toBe(false);
  });
});
