import { defaultRunOptions } from '../../src/domain/run-options.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import {
  emptyCounts,
  runStatuses,
  type Run,
  type RunStatus,
  type TestResult,
} from '../../src/domain/run.ts';
import * as m060 from '../../src/store/migrations/060-run-counts.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import {
  addTests,
  dialects,
  doc,
  newProject,
  openTestStore,
} from '../fixtures/engine/test-stores.ts';
import * as records from '../helpers/records.ts';
import { useTestStore } from '../helpers/suite-store.ts';

// Trigger actor, selection, logs and artifacts filled in, so the round trips cover them.
function makeRun(projectId: string, testIds: string[], over: Partial<Run> = {}): Run {
  return records.makeRun(projectId, testIds, {
    trigger: { source: 'api', actor: 'tester' },
    selection: { tags: ['smoke'] },
    parallelWorkers: 2,
    ...over,
  });
}

function makeResult(runId: string, testId: string, status: TestResult['status']): TestResult {
  return records.makeResult(runId, testId, {
    testName: `test ${testId.slice(0, 4)}`,
    status,
    durationMs: 12,
    failedStep: status === 'failed' ? 0 : null,
    error: status === 'failed' ? 'boom' : null,
    steps: [{ index: 0, action: 'goto', description: 'go to /', status: 'passed', durationMs: 3 }],
    consoleErrors: [{ type: 'error', text: 'x' }],
    failedRequests: [{ url: 'http://x/', method: 'GET', status: 500 }],
    artifacts: { screenshot: 'artifacts/a.png' },
  });
}

describe.each(dialects)('store on %s', (dialect) => {
  const t = useTestStore(dialect);
  let store: Store;
  beforeAll(() => {
    store = t.store;
  });

  it('creates, finds, updates and soft-deletes projects', async () => {
    const p = await newProject(store, 3);
    expect(p.parallelWorkers).toBe(3);
    expect(await store.projects.get(p.id)).toEqual(p);
    expect(await store.projects.get(p.slug)).toEqual(p);
    const updated = await store.projects.update(p.id, { name: 'Renamed', parallelWorkers: 4 });
    expect(updated).toMatchObject({ name: 'Renamed', parallelWorkers: 4, slug: p.slug });

    const other = await newProject(store);
    const conflict = await store.projects.update(other.id, { slug: p.slug }).catch((e) => e);
    expect(conflict).toBeInstanceOf(AppError);
    expect((conflict as AppError).code).toBe('conflict');
    const dup = await store.projects
      .create({ slug: p.slug, name: 'x', baseUrl: 'http://x' })
      .catch((e) => e);
    expect((dup as AppError).code).toBe('conflict');

    await store.projects.softDelete(p.id);
    expect(await store.projects.get(p.id)).toBeUndefined();
    expect((await store.projects.list()).map((x) => x.id)).not.toContain(p.id);
    const missing = await store.projects.update(p.id, { name: 'x' }).catch((e) => e);
    expect((missing as AppError).code).toBe('not_found');
    // The slug of a deleted project is free again.
    const reused = await store.projects.create({
      slug: p.slug,
      name: 'again',
      baseUrl: 'http://x',
    });
    expect(reused.id).not.toBe(p.id);
  });

  it('upserts environments per project', async () => {
    const p = await newProject(store);
    const q = await newProject(store);
    const e1 = await store.environments.upsert(p.id, {
      name: 'staging',
      baseUrl: 'http://staging',
      variables: { USER: 'u', PASS: 'p' },
      secretNames: ['PASS', 'PASS'],
    });
    expect(e1.secretNames).toEqual(['PASS']);
    const e2 = await store.environments.upsert(p.id, {
      name: 'staging',
      baseUrl: null,
      variables: { USER: 'v' },
      secretNames: [],
    });
    expect(e2.id).toBe(e1.id);
    expect(e2.createdAt).toBe(e1.createdAt);
    expect(e2).toMatchObject({ baseUrl: null, variables: { USER: 'v' }, secretNames: [] });
    expect(await store.environments.get(q.id, 'staging')).toBeUndefined();
    expect(await store.environments.list(p.id)).toHaveLength(1);
    expect(await store.environments.delete(q.id, 'staging')).toBe(false);
    expect(await store.environments.delete(p.id, 'staging')).toBe(true);
    expect(await store.environments.list(p.id)).toEqual([]);
  });

  it('stores tests, filters, reviews and selects them', async () => {
    const p = await newProject(store);
    const q = await newProject(store);
    const a = await store.tests.create(
      p.id,
      doc('A login', { tags: ['smoke', 'auth'], suite: 'auth' }),
      {
        source: 'api',
      },
    );
    expect(a).toMatchObject({ status: 'draft', tags: ['smoke', 'auth'], suite: 'auth', key: null });
    expect(a.steps).toEqual([{ goto: '/' }]);
    const b = await store.tests.create(p.id, doc('B cart', { tags: ['Smoke'], suite: 'shop' }), {
      source: 'api',
      status: 'approved',
    });
    const c = await store.tests.create(p.id, doc('C pay', { tags: ['smoke_x'] }), {
      source: 'import',
      status: 'approved',
    });
    await store.tests.create(q.id, doc('other project', { tags: ['smoke'] }), {
      source: 'api',
      status: 'approved',
    });

    expect(await store.tests.get(q.id, a.id)).toBeUndefined();
    const page = await store.tests.list(p.id, { limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    const bySmoke = await store.tests.list(p.id, { tag: 'smoke', limit: 10, offset: 0 });
    // Tags match whole and case-insensitively; `_` is not a wildcard.
    expect(bySmoke.items.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await store.tests.list(p.id, { tag: 'smoke_x', limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.tests.list(p.id, { tag: 'smokeax', limit: 10, offset: 0 })).total).toBe(0);
    expect((await store.tests.list(p.id, { status: 'approved', limit: 10, offset: 0 })).total).toBe(
      2,
    );
    expect((await store.tests.list(p.id, { suite: 'auth', limit: 10, offset: 0 })).items).toEqual([
      a,
    ]);

    expect(await store.tests.setStatus(p.id, [a.id, b.id], 'approved', 'rev')).toBe(1);
    expect(await store.tests.setStatus(q.id, [c.id], 'rejected', 'rev')).toBe(0);
    const reviewed = await store.tests.get(p.id, a.id);
    expect(reviewed).toMatchObject({ status: 'approved', reviewedBy: 'rev' });
    expect(await store.tests.counts(p.id)).toEqual({
      draft: 0,
      approved: 3,
      rejected: 0,
      total: 3,
    });

    const all = await store.tests.forSelection(p.id, {});
    expect(all.map((x) => x.name)).toEqual(['C pay', 'A login', 'B cart']);
    const smokeInAuth = await store.tests.forSelection(p.id, { tags: ['smoke'], suites: ['auth'] });
    expect(smokeInAuth.map((x) => x.id)).toEqual([a.id]);
    const anyTag = await store.tests.forSelection(p.id, { tags: ['auth', 'smoke_x'] });
    expect(anyTag.map((x) => x.id).sort()).toEqual([a.id, c.id].sort());
    expect(await store.tests.forSelection(p.id, { testIds: [c.id, 'nope'] })).toHaveLength(1);
    await store.tests.setStatus(p.id, [c.id], 'rejected', null);
    expect(await store.tests.forSelection(p.id, { testIds: [c.id] })).toEqual([]);

    const patched = await store.tests.update(p.id, a.id, {
      name: 'A2',
      suite: undefined,
      tags: [],
    });
    expect(patched).toMatchObject({ name: 'A2', suite: null, tags: [], status: 'approved' });
    expect(await store.tests.update(q.id, a.id, { name: 'x' })).toBeUndefined();
    expect(await store.tests.delete(q.id, a.id)).toBe(false);
    expect(await store.tests.delete(p.id, a.id)).toBe(true);
    expect(await store.tests.get(p.id, a.id)).toBeUndefined();
  });

  it('reads suite, tags and key of many tests at once, scoped by project', async () => {
    const p = await newProject(store);
    const q = await newProject(store);
    const [a, b, c] = await addTests(store, p, ['A', 'B', 'C'], 'draft', {
      suite: 'shop',
      tags: ['smoke', 'cart'],
    });
    const keyed = await store.tests.create(p.id, doc('K', { key: 'shop.yaml#k' }), {
      source: 'import',
    });
    const gone = await store.tests.create(p.id, doc('Gone'), { source: 'api' });
    await store.tests.delete(p.id, gone.id);
    const [foreign] = await addTests(store, q, ['Other project']);
    // 1,197 ids (1,196 distinct): the known ones sit in the first, second and third chunk of 500,
    // among unknown ones, with a repeat, another project's test and a deleted one.
    const unknown = Array.from({ length: 1190 }, () => randomUUID());
    const ids = [
      a!.id,
      ...unknown.slice(0, 498),
      b!.id,
      c!.id,
      ...unknown.slice(498, 1000),
      foreign!.id,
      gone.id,
      a!.id,
      ...unknown.slice(1000),
      keyed.id,
    ];
    expect(ids).toHaveLength(1197);

    const infos = await store.tests.infoByIds(p.id, ids);
    const byId = new Map(infos.map((t) => [t.id, t]));
    expect(infos).toHaveLength(4);
    expect(byId.get(a!.id)).toEqual({
      id: a!.id,
      suite: 'shop',
      tags: ['smoke', 'cart'],
      key: null,
    });
    expect(byId.get(b!.id)).toEqual({
      id: b!.id,
      suite: 'shop',
      tags: ['smoke', 'cart'],
      key: null,
    });
    expect(byId.get(c!.id)?.suite).toBe('shop');
    expect(byId.get(keyed.id)).toEqual({ id: keyed.id, suite: null, tags: [], key: 'shop.yaml#k' });
    expect(await store.tests.infoByIds(q.id, ids)).toEqual([
      { id: foreign!.id, suite: null, tags: [], key: null },
    ]);
    expect(await store.tests.infoByIds(p.id, [])).toEqual([]);
    expect(await store.tests.infoByIds(p.id, unknown)).toEqual([]);
  });

  it('answers for more ids than SQLite binds in one statement (missing ids, mean durations)', async () => {
    const p = await newProject(store);
    const [known] = await addTests(store, p, ['Known']);
    // SQLite binds at most 32,766 parameters per statement; a run may list more tests.
    const unknown = Array.from({ length: 40_000 }, () => randomUUID());
    const ids = [...unknown.slice(0, 20_000), known!.id, ...unknown.slice(20_000)];
    expect(await store.tests.missingIds(p.id, ids)).toEqual(unknown);
    expect((await store.results.meanDurations(p.id, ids)).size).toBe(0);
  });

  it('upserts tests by key, keeping review status', async () => {
    const p = await newProject(store);
    const first = await store.tests.upsertByKey(
      p.id,
      { ...doc('Keyed'), key: 'k1' },
      { source: 'import' },
    );
    expect(first.created).toBe(true);
    await store.tests.setStatus(p.id, [first.test.id], 'approved', 'me');
    const again = await store.tests.upsertByKey(
      p.id,
      { ...doc('Keyed v2', { tags: ['t'] }), key: 'k1' },
      { source: 'import' },
    );
    expect(again.created).toBe(false);
    expect(again.test).toMatchObject({
      id: first.test.id,
      name: 'Keyed v2',
      status: 'approved',
      tags: ['t'],
    });
    const forced = await store.tests.upsertByKey(
      p.id,
      { ...doc('Keyed'), key: 'k1' },
      {
        source: 'import',
        status: 'draft',
      },
    );
    expect(forced.test.status).toBe('draft');
    // Same key in another project is another test.
    const q = await newProject(store);
    expect(
      (await store.tests.upsertByKey(q.id, { ...doc('K'), key: 'k1' }, { source: 'import' }))
        .created,
    ).toBe(true);
  });

  it('records runs and results, scoped by project, with counts from the results', async () => {
    const p = await newProject(store);
    const q = await newProject(store);
    const run = await store.runs.create(makeRun(p.id, ['t1', 't2', 't3']), { trace: true });
    expect(await store.runs.options(run.id)).toEqual({ ...defaultRunOptions, trace: true });
    expect(await store.runs.get(q.id, run.id)).toBeUndefined();
    expect(await store.runs.get(null, run.id)).toEqual(run);
    expect(await store.runs.get(p.id, run.id)).toEqual(run);

    expect(await store.runs.markRunning(run.id, '2030-01-01T00:00:00.000Z')).toBe(true);
    expect(await store.runs.markRunning(run.id, '2031-01-01T00:00:00.000Z')).toBe(false);

    await store.results.insert(p.id, makeResult(run.id, 't1', 'passed'));
    await store.results.insert(p.id, makeResult(run.id, 't2', 'failed'));
    const dup = await store.results
      .insert(p.id, makeResult(run.id, 't2', 'passed'))
      .catch((e) => e);
    expect(dup).toBeInstanceOf(Error);

    const live = await store.runs.get(p.id, run.id);
    expect(live).toMatchObject({
      status: 'running',
      passed: 1,
      failed: 1,
      startedAt: '2030-01-01T00:00:00.000Z',
    });
    const results = await store.results.listByRun(run.id, p.id);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({
      steps: [{ action: 'goto' }],
      artifacts: { screenshot: 'artifacts/a.png' },
    });
    expect(await store.results.listByRun(run.id, q.id)).toEqual([]);
    expect(await store.results.tally(run.id)).toEqual({
      passed: 1,
      failed: 1,
      skipped: 0,
      errored: 0,
      flaky: 0,
      quarantined: 0,
    });
    expect((await store.results.meanDurations(p.id, ['t1', 't2', 'zz'])).get('t1')).toBe(12);

    expect((await store.runs.unfinished()).map((r) => r.id)).toContain(run.id);
    const counts = { ...emptyCounts(3), passed: 1, failed: 1 };
    const fin = {
      status: 'failed' as const,
      error: '1 failed',
      counts,
      finishedAt: new Date().toISOString(),
    };
    expect(await store.runs.finish(run.id, fin)).toBe(true);
    expect(await store.runs.finish(run.id, { ...fin, status: 'passed' })).toBe(false);
    expect(await store.runs.get(p.id, run.id)).toMatchObject({
      status: 'failed',
      error: '1 failed',
      total: 3,
    });
    expect((await store.runs.unfinished()).map((r) => r.id)).not.toContain(run.id);

    const second = await store.runs.create(
      makeRun(p.id, ['t1'], { createdAt: '2099-01-01T00:00:00.000Z' }),
    );
    const list = await store.runs.list(p.id, { limit: 10, offset: 0 });
    expect(list.total).toBe(2);
    expect(list.items.map((r) => r.id)).toEqual([second.id, run.id]);
    expect(
      (await store.runs.list(p.id, { limit: 10, offset: 0, status: 'failed' })).items,
    ).toHaveLength(1);
    expect((await store.runs.list(q.id, { limit: 10, offset: 0 })).total).toBe(0);
  });

  it('keeps the runs list totals as runs are created and finished, and rebuilds them on migration', async () => {
    const p = await newProject(store);
    const statuses = [undefined, ...runStatuses] as const;
    /** The list's totals and a count of the rows themselves, per status filter. */
    const totals = async () => {
      const listed: Record<string, number> = {};
      const counted: Record<string, number> = {};
      for (const status of statuses) {
        const q = { limit: 1, offset: 0, ...(status ? { status } : {}) };
        listed[status ?? 'all'] = (await store.runs.list(p.id, q)).total;
        let rows = store.db.selectFrom('runs').select('id').where('project_id', '=', p.id);
        if (status) rows = rows.where('status', '=', status);
        counted[status ?? 'all'] = (await rows.execute()).length;
      }
      return { listed, counted };
    };
    const finish = (id: string, status: RunStatus) =>
      store.runs.finish(id, {
        status,
        error: null,
        counts: emptyCounts(1),
        finishedAt: new Date().toISOString(),
      });

    const runs: Run[] = [];
    for (let i = 0; i < 6; i++) runs.push(await store.runs.create(makeRun(p.id, ['t1'])));
    await store.runs.create(makeRun(p.id, ['t1'], { status: 'passed' }));
    expect(await store.runs.markRunning(runs[0]!.id, new Date().toISOString())).toBe(true);
    expect(await finish(runs[1]!.id, 'passed')).toBe(true);
    expect(await finish(runs[2]!.id, 'failed')).toBe(true);
    expect(await finish(runs[3]!.id, 'cancelled')).toBe(true);
    // Finished twice, counted once.
    expect(await finish(runs[3]!.id, 'error')).toBe(false);
    // A rolled-back creation or verdict leaves the totals as they were.
    await store
      .transaction(async (tx) => {
        await tx.runs.create(makeRun(p.id, ['t1']));
        await tx.runs.finish(runs[4]!.id, {
          status: 'error',
          error: null,
          counts: emptyCounts(1),
          finishedAt: new Date().toISOString(),
        });
        throw new Error('roll back');
      })
      .catch(() => undefined);

    const { listed, counted } = await totals();
    expect(listed).toEqual(counted);
    expect(listed).toMatchObject({ all: 7, queued: 2, running: 1, passed: 2, failed: 1, error: 0 });

    // Migration 060 counts the runs already there.
    await m060.down(store.db as unknown as Kysely<unknown>);
    await m060.up(store.db as unknown as Kysely<unknown>);
    expect((await totals()).listed).toEqual(counted);
  });

  it('rolls back a failed transaction and runs afterCommit hooks only on commit', async () => {
    const p = await newProject(store);
    const hooks: string[] = [];
    const err = await store
      .transaction(async (tx) => {
        await tx.tests.create(p.id, doc('rolled back'), { source: 'api' });
        tx.afterCommit(() => hooks.push('rolled'));
        // A nested transaction joins the outer one.
        await tx.transaction(async (inner) =>
          inner.tests.create(p.id, doc('inner'), { source: 'api' }),
        );
        throw new Error('abort');
      })
      .catch((e) => e);
    expect((err as Error).message).toBe('abort');
    expect((await store.tests.counts(p.id)).total).toBe(0);
    expect(hooks).toEqual([]);

    await store.transaction(async (tx) => {
      await tx.tests.create(p.id, doc('kept'), { source: 'api' });
      tx.afterCommit(() => hooks.push('committed'));
      expect(hooks).toEqual([]);
    });
    expect(hooks).toEqual(['committed']);
    expect((await store.tests.counts(p.id)).total).toBe(1);
  });
});

describe('openStore', () => {
  it('creates the SQLite folder and migrates an existing file idempotently', async () => {
    const t = await openTestStore('sqlite');
    const path = join(t.dir, 'nested', 'deeper', 'g.db');
    const a = await openStore({ databaseUrl: path });
    const p = await newProject(a);
    await a.close();
    const b = await openStore({ databaseUrl: `sqlite:${path}` });
    expect(b.dialect).toBe('sqlite');
    expect(await b.projects.get(p.slug)).toEqual(p);
    await b.close();
    await t.dispose();
  });
});
