import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { describe, expect, it } from 'vitest';
import * as m001 from '../../src/store/migrations/001-initial.ts';
import * as m002 from '../../src/store/migrations/002-accounts.ts';
import { openStore } from '../../src/store/connect.ts';
import { dialects, doc, newProject } from '../fixtures/engine/test-stores.ts';
import { useTestStore } from '../helpers/suite-store.ts';

describe.each(dialects)('test history in the store on %s', (dialect) => {
  const t = useTestStore(dialect);

  it('keeps a test and its first version together: a rolled-back create leaves neither', async () => {
    const p = await newProject(t.store);
    let id = '';
    await expect(
      t.store.transaction(async (tx) => {
        id = (await tx.tests.create(p.id, doc('Gone'), { source: 'api' })).id;
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(id).not.toBe('');
    expect(await t.store.tests.get(p.id, id)).toBeUndefined();
    expect(await t.store.testHistory.list(p.id, id)).toEqual([]);
  });

  it('records re-imports only when something changed, with the source as actor', async () => {
    const p = await newProject(t.store);
    const d = { ...doc('Imported'), key: 'k1' };
    const first = await t.store.tests.upsertByKey(p.id, d, { source: 'import' });
    await t.store.tests.upsertByKey(p.id, d, { source: 'import' });
    await t.store.tests.upsertByKey(p.id, { ...d, name: 'Renamed' }, { source: 'import' });
    const versions = await t.store.testHistory.list(p.id, first.test.id);
    expect(versions.map((v) => [v.version, v.action, v.actor, v.document.name])).toEqual([
      [2, 'edited', 'import', 'Renamed'],
      [1, 'created', 'import', 'Imported'],
    ]);
  });

  it('numbers concurrent changes of one test one after the other', async () => {
    const p = await newProject(t.store);
    const test = await t.store.tests.create(p.id, doc('Busy'), { source: 'api', actor: 'me' });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.store.tests.update(p.id, test.id, { name: `Busy ${i}` }, { actor: `user${i}` }),
      ),
    );
    const versions = await t.store.testHistory.list(p.id, test.id);
    expect(versions.map((v) => v.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(versions[0]!.document.name).toBe((await t.store.tests.get(p.id, test.id))!.name);
  });

  it('records bulk status changes per test and removes history when its test is purged', async () => {
    const p = await newProject(t.store);
    const a = await t.store.tests.create(p.id, doc('A'), { source: 'crawl' });
    const b = await t.store.tests.create(p.id, doc('B'), { source: 'crawl' });
    expect(await t.store.tests.setStatus(p.id, [a.id, b.id], 'rejected', 'rev@x')).toBe(2);
    expect(await t.store.tests.setStatus(p.id, [a.id, b.id], 'rejected', 'rev@x')).toBe(0);
    for (const id of [a.id, b.id]) {
      const [latest] = await t.store.testHistory.list(p.id, id);
      expect(latest).toMatchObject({ version: 2, action: 'rejected', actor: 'rev@x' });
    }
    expect(await t.store.tests.missingIds(p.id, [a.id, 'x'])).toEqual(['x']);
    await t.store.tests.delete(p.id, a.id);
    // In the recycle bin the history is hidden but kept, for a restore; a purge takes it.
    expect(await t.store.testHistory.list(p.id, a.id)).toEqual([]);
    expect(await t.store.testHistory.get(p.id, a.id, 1)).toBeUndefined();
    await t.store.recycleBin.restoreTest(a.id);
    expect(await t.store.testHistory.list(p.id, a.id)).toHaveLength(2);
    await t.store.tests.delete(p.id, a.id);
    await t.store.recycleBin.purgeTest(a.id);
    const left = await t.store.db
      .selectFrom('test_versions')
      .select('id')
      .where('test_id', '=', a.id)
      .execute();
    expect(left).toEqual([]);
    expect(await t.store.testHistory.list(p.id, b.id)).toHaveLength(2);
  });
});

describe('migration 010', () => {
  it('gives tests that existed before it a first version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-mig-'));
    const file = join(dir, 'old.db');
    try {
      const db = new Kysely<unknown>({
        dialect: new SqliteDialect({ database: new SqliteDatabase(file) }),
      });
      const old: Record<string, Migration> = { '001-initial': m001, '002-accounts': m002 };
      const r = await new Migrator({
        db,
        provider: { getMigrations: async () => old },
      }).migrateToLatest();
      expect(r.error).toBeUndefined();
      const at = '2024-01-02T03:04:05.000Z';
      await db
        .insertInto('projects' as never)
        .values({
          id: 'p1',
          slug: 'p1',
          name: 'P1',
          base_url: 'http://x.test',
          parallel_workers: 1,
          created_at: at,
          updated_at: at,
        } as never)
        .execute();
      await db
        .insertInto('tests' as never)
        .values({
          id: 't1',
          project_id: 'p1',
          key: null,
          name: 'Old test',
          description: null,
          suite: 'legacy',
          tags: '["smoke"]',
          status: 'approved',
          steps: '[{"goto":"/"}]',
          variables: '{}',
          timeout_ms: null,
          step_timeout_ms: null,
          source: 'import',
          created_at: at,
          updated_at: at,
          reviewed_at: null,
          reviewed_by: null,
        } as never)
        .execute();
      await db.destroy();

      const store = await openStore({ databaseUrl: `sqlite:${file}` });
      try {
        const [v] = await store.testHistory.list('p1', 't1');
        expect(v).toMatchObject({
          version: 1,
          action: 'created',
          status: 'approved',
          actor: 'import',
          at,
          document: { name: 'Old test', suite: 'legacy', tags: ['smoke'], steps: [{ goto: '/' }] },
        });
        expect((await store.tests.get('p1', 't1'))?.stale).toBeNull();
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
