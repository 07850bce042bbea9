import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { purgeExpired, purgeItem, restoreItem } from '../../src/engine/recycle-bin.ts';
import { PROJECT_TABLES } from '../../src/store/recycle-bin.ts';
import type { Store } from '../../src/store/connect.ts';
import { addTests, dialects, doc } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { useTestStore } from '../helpers/suite-store.ts';
import { FilesystemArtifactStore } from '../../src/store/artifacts/filesystem.ts';

const DAY = 86_400_000;

async function workspace(store: Store, name = 'ws'): Promise<string> {
  return (await store.accounts.createWorkspace(`${name}-${Math.random()}`)).id;
}

let n = 0;
async function project(store: Store, workspaceId: string) {
  n++;
  return store.projects.create({
    slug: `bin-${n}-${Math.random().toString(36).slice(2, 7)}`,
    name: `Bin ${n}`,
    baseUrl: 'http://127.0.0.1:1',
    workspaceId,
  });
}

/** Names of the tables of this store's schema that have a project_id column. */
async function tablesWithProjectId(store: Store): Promise<string[]> {
  // PostgreSQL introspection sees every schema (other test files' too): keep this store's.
  const schema =
    store.dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]?.s
      : undefined;
  const tables = await store.db.introspection.getTables();
  return tables
    .filter((t) => schema === undefined || t.schema === schema)
    .filter((t) => t.columns.some((c) => c.name === 'project_id'))
    .map((t) => t.name)
    .sort();
}

describe.each(dialects)('recycle bin in the store on %s', (dialect) => {
  const t = useTestStore(dialect);

  it('hides a deleted test from every read of tests, and lists it in its workspace only', async () => {
    const ws = await workspace(t.store);
    const other = await workspace(t.store);
    const p = await project(t.store, ws);
    const [kept, gone] = await addTests(t.store, p, ['Kept', 'Gone']);
    expect(await t.store.tests.delete(p.id, gone!.id, { actor: 'ann@example.test' })).toBe(true);
    // A second delete finds nothing live to delete.
    expect(await t.store.tests.delete(p.id, gone!.id)).toBe(false);

    expect(await t.store.tests.get(p.id, gone!.id)).toBeUndefined();
    const page = await t.store.tests.list(p.id, { limit: 50, offset: 0 });
    expect(page.items.map((x) => x.name)).toEqual(['Kept']);
    expect(page.total).toBe(1);
    expect((await t.store.tests.counts(p.id)).total).toBe(1);
    expect((await t.store.tests.forSelection(p.id, {})).map((x) => x.id)).toEqual([kept!.id]);
    expect(await t.store.tests.missingIds(p.id, [kept!.id, gone!.id])).toEqual([gone!.id]);
    expect(await t.store.tests.setStatus(p.id, [gone!.id], 'rejected', 'x')).toBe(0);
    expect(await t.store.tests.update(p.id, gone!.id, { name: 'Back?' })).toBeUndefined();
    expect(
      await t.store.tests.setQuarantine(p.id, gone!.id, { reason: 'r', at: 'now', by: 'x' }),
    ).toBeUndefined();
    expect(await t.store.tests.flagStale(p.id, [{ id: gone!.id, reason: 'r' }], 'crawl')).toBe(0);

    const bin = await t.store.recycleBin.list(ws, 200);
    expect(bin.tests.map((x) => [x.name, x.deletedBy, x.projectDeleted])).toEqual([
      ['Gone', 'ann@example.test', false],
    ]);
    expect(await t.store.recycleBin.list(other, 200)).toEqual({ projects: [], tests: [] });
    expect(await t.store.recycleBin.test(other, gone!.id)).toBeUndefined();
  });

  it('frees a deleted test’s key; restoring it while a live test holds the key is a conflict', async () => {
    const ws = await workspace(t.store);
    const p = await project(t.store, ws);
    const first = await t.store.tests.create(p.id, doc('Keyed', { key: 'k1' }), { source: 'api' });
    await t.store.tests.delete(p.id, first.id);
    // Importing the same key again makes a new live test rather than updating the deleted one.
    const again = await t.store.tests.upsertByKey(
      p.id,
      { ...doc('Keyed again'), key: 'k1' },
      {
        source: 'import',
      },
    );
    expect(again.created).toBe(true);
    await expect(restoreItem(t.store, ws, 'test', first.id)).rejects.toMatchObject({
      code: 'conflict',
    });
    await t.store.tests.delete(p.id, again.test.id);
    await restoreItem(t.store, ws, 'test', first.id);
    expect((await t.store.tests.get(p.id, first.id))?.name).toBe('Keyed');
  });

  it('restores a project with its tests; a test of a deleted project waits for its project', async () => {
    const ws = await workspace(t.store);
    const p = await project(t.store, ws);
    const [a, b] = await addTests(t.store, p, ['A', 'B']);
    await t.store.tests.delete(p.id, b!.id);
    await t.store.projects.softDelete(p.id, { actor: 'admin@example.test' });
    expect(await t.store.projects.get(p.id)).toBeUndefined();

    const bin = await t.store.recycleBin.list(ws, 200);
    expect(bin.projects.map((x) => [x.slug, x.tests, x.deletedBy])).toEqual([
      [p.slug, 2, 'admin@example.test'],
    ]);
    expect(bin.tests.map((x) => [x.name, x.projectDeleted])).toEqual([['B', true]]);
    await expect(restoreItem(t.store, ws, 'test', b!.id)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('restore the project first'),
    });

    // A new project took the slug meanwhile: restoring the old one is a conflict until it goes.
    const taker = await t.store.projects.create({
      slug: p.slug,
      name: 'Taker',
      baseUrl: 'http://127.0.0.1:1',
      workspaceId: ws,
    });
    await expect(restoreItem(t.store, ws, 'project', p.id)).rejects.toMatchObject({
      code: 'conflict',
    });
    await t.store.projects.softDelete(taker.id);

    await restoreItem(t.store, ws, 'project', p.id);
    expect((await t.store.projects.get(p.id))?.name).toBe(p.name);
    expect(
      (await t.store.tests.list(p.id, { limit: 9, offset: 0 })).items.map((x) => x.id),
    ).toEqual([a!.id]);
    await restoreItem(t.store, ws, 'test', b!.id);
    expect((await t.store.tests.counts(p.id)).total).toBe(2);
    // Not in the bin any more: 404, and another workspace never finds it.
    await expect(restoreItem(t.store, ws, 'project', p.id)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('purges a project with every row of it and its files; other projects keep theirs', async () => {
    const ws = await workspace(t.store);
    const p = await project(t.store, ws);
    const keep = await project(t.store, ws);
    const [test] = await addTests(t.store, p, ['Doomed']);
    await addTests(t.store, keep, ['Survivor']);
    const at = new Date().toISOString();
    const run = await t.store.runs.create(
      makeRun(p.id, [test!.id], { status: 'passed', createdAt: at, startedAt: at, finishedAt: at }),
    );
    await t.store.results.insert(
      p.id,
      makeResult(run.id, test!.id, { startedAt: at, finishedAt: at }),
    );
    await t.store.runNotes.add({
      projectId: p.id,
      runId: run.id,
      level: 'info',
      source: 'test',
      message: 'a note',
    });
    await t.store.environments.upsert(p.id, {
      name: 'staging',
      baseUrl: null,
      variables: { A: '1' },
      secretNames: [],
    });
    await t.store.tests.update(p.id, test!.id, { name: 'Doomed v2' });
    const artifacts = join(t.dir, 'artifacts', run.id);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'shot.png'), 'x');
    const data = join(t.dir, 'test-data', p.id);
    mkdirSync(data, { recursive: true });

    await expect(
      purgeItem(
        {
          store: t.store,
          artifactStore: new FilesystemArtifactStore(t.dir),
          dataDir: t.dir,
          clock: () => new Date(),
        },
        ws,
        'project',
        p.id,
      ),
    ).rejects.toMatchObject({ code: 'not_found' }); // live projects are not in the bin
    await t.store.projects.softDelete(p.id);
    await purgeItem(
      {
        store: t.store,
        artifactStore: new FilesystemArtifactStore(t.dir),
        dataDir: t.dir,
        clock: () => new Date(),
      },
      ws,
      'project',
      p.id,
    );

    for (const table of await tablesWithProjectId(t.store)) {
      const { rows } = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(table)} where project_id = ${p.id}`.execute(
        t.store.db,
      );
      expect([table, Number(rows[0]?.n)]).toEqual([table, 0]);
    }
    const left = await t.store.db
      .selectFrom('projects')
      .select('id')
      .where('id', '=', p.id)
      .execute();
    expect(left).toEqual([]);
    expect(existsSync(artifacts)).toBe(false);
    expect(existsSync(data)).toBe(false);
    expect((await t.store.tests.counts(keep.id)).total).toBe(1);
    expect(await t.store.recycleBin.list(ws, 200)).toEqual({ projects: [], tests: [] });
  });

  it('knows every table that holds project rows (a new one must be added to the purge)', async () => {
    const withProjectId = await tablesWithProjectId(t.store);
    expect(withProjectId).toEqual([...PROJECT_TABLES].sort());
  });

  it('purges items past their workspace’s retention in the background cleanup, no sooner', async () => {
    const ws = await workspace(t.store);
    const short = await workspace(t.store);
    const p = await project(t.store, ws);
    const q = await project(t.store, short);
    const [old, fresh] = await addTests(t.store, p, ['Old', 'Fresh']);
    const [shortLived] = await addTests(t.store, q, ['Short']);
    await t.store.workspaceSettings.set(short, 'recycle_bin', { retentionDays: 2 }, { by: 'x' });
    await t.store.tests.delete(p.id, old!.id);
    await t.store.tests.delete(p.id, fresh!.id);
    await t.store.tests.delete(q.id, shortLived!.id);
    const now = Date.now();
    // `old` was deleted 31 days ago, `fresh` 29, `short` 3 (its workspace keeps 2).
    const setDeleted = (id: string, daysAgo: number) =>
      t.store.db
        .updateTable('tests')
        .set({ deleted_at: new Date(now - daysAgo * DAY).toISOString() })
        .where('id', '=', id)
        .execute();
    await setDeleted(old!.id, 31);
    await setDeleted(fresh!.id, 29);
    await setDeleted(shortLived!.id, 3);

    const purged = await purgeExpired({
      store: t.store,
      artifactStore: new FilesystemArtifactStore(t.dir),
      dataDir: t.dir,
      clock: () => new Date(now),
    });
    expect(purged).toEqual({ projects: 0, tests: 2 });
    const left = await t.store.db
      .selectFrom('tests')
      .select('name')
      .where('id', 'in', [old!.id, fresh!.id, shortLived!.id])
      .execute();
    expect(left.map((r) => r.name)).toEqual(['Fresh']);
  });
});
