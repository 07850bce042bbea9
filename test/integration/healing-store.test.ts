import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LocatorMemory } from '../../src/domain/locator-memory.ts';
import type { Store } from '../../src/store/connect.ts';
import { dialects, doc, newProject } from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { useTestStore } from '../helpers/suite-store.ts';

const memory = (step: number, hash: string, name: string): LocatorMemory => ({
  step,
  locatorHash: hash,
  alternatives: [
    { strategy: 'role', locator: { role: 'button', name, exact: true } },
    { strategy: 'css', locator: { css: 'main > button' } },
  ],
  winningStrategy: null,
});

describe.each(dialects)('locator memory in the store on %s', (dialect) => {
  const t = useTestStore(dialect);
  let store: Store;
  beforeAll(() => {
    store = t.store;
  });

  /** Memory as stored, each entry's recording time checked and left out of the comparison. */
  async function readMemory(projectId: string, testId: string): Promise<LocatorMemory[]> {
    const all = await store.locatorMemory.forTest(projectId, testId);
    for (const m of all) expect(Number.isFinite(Date.parse(m.recordedAt ?? ''))).toBe(true);
    return all.map(({ recordedAt: _at, ...m }) => m);
  }

  async function newTest(projectId: string): Promise<string> {
    const created = await store.tests.create(projectId, doc(`t-${randomUUID()}`), {
      status: 'approved',
      source: 'api',
    });
    return created.id;
  }

  it('saves, replaces and reads memory per step and locator, scoped by project', async () => {
    const p = await newProject(store);
    const other = await newProject(store);
    const testId = await newTest(p.id);
    expect(await readMemory(p.id, testId)).toEqual([]);

    await store.locatorMemory.save(p.id, testId, [memory(2, 'h2', 'Buy'), memory(0, 'h0', 'Go')]);
    expect(await readMemory(p.id, testId)).toEqual([memory(0, 'h0', 'Go'), memory(2, 'h2', 'Buy')]);

    // The same step and locator again: replaced, the other entry untouched.
    const healed = { ...memory(2, 'h2', 'Buy now'), winningStrategy: 'role' as const };
    await store.locatorMemory.save(p.id, testId, [healed]);
    expect(await readMemory(p.id, testId)).toEqual([memory(0, 'h0', 'Go'), healed]);
    // A changed locator of the same step is remembered on its own.
    await store.locatorMemory.save(p.id, testId, [memory(2, 'h2b', 'Pay')]);
    expect((await readMemory(p.id, testId)).map((m) => m.locatorHash)).toEqual(['h0', 'h2', 'h2b']);

    // Another project sees nothing, cannot overwrite, and cannot clear.
    expect(await readMemory(other.id, testId)).toEqual([]);
    await store.locatorMemory.save(other.id, testId, [memory(0, 'h0', 'Hijack')]);
    expect((await readMemory(p.id, testId))[0]).toEqual(memory(0, 'h0', 'Go'));
    expect(await store.locatorMemory.clear(other.id, testId)).toBe(0);

    expect(await store.locatorMemory.clear(p.id, testId)).toBe(3);
    expect(await readMemory(p.id, testId)).toEqual([]);
  });

  it('forgets the memory of a deleted test', async () => {
    const p = await newProject(store);
    const testId = await newTest(p.id);
    await store.locatorMemory.save(p.id, testId, [memory(1, 'h', 'Buy')]);
    await store.db.deleteFrom('test_versions').where('test_id', '=', testId).execute();
    await store.db.deleteFrom('tests').where('id', '=', testId).execute();
    expect(await store.locatorMemory.forTest(p.id, testId)).toEqual([]);
  });

  it('keeps what a result healed', async () => {
    const p = await newProject(store);
    const testId = await newTest(p.id);
    const plainId = await newTest(p.id);
    const at = new Date().toISOString();
    const run = makeRun(p.id, [testId, plainId], {
      status: 'running',
      createdAt: at,
      startedAt: at,
    });
    await store.runs.create(run, {});
    const base = makeResult(run.id, testId, {
      testName: 'buy',
      durationMs: 5,
      startedAt: at,
      finishedAt: at,
    });
    const healed = [
      { step: 1, from: 'css="#buy-1"', to: 'role=button[name="Buy"]', strategy: 'role' as const },
    ];
    await store.results.insert(p.id, { ...base, healed });
    await store.results.insert(p.id, {
      ...base,
      id: randomUUID(),
      testId: plainId,
      testName: 'plain',
    });
    const results = await store.results.listByRun(run.id, p.id);
    expect(results.find((r) => r.testName === 'buy')?.healed).toEqual(healed);
    expect(results.find((r) => r.testName === 'plain')?.healed).toBeUndefined();
  });
});
