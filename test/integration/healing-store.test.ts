import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocatorMemory } from '../../src/domain/locator-memory.ts';
import type { Run, TestResult } from '../../src/domain/run.ts';
import type { Store } from '../../src/store/connect.ts';
import {
  dialects,
  doc,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';

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
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    store = t.store;
  });
  afterAll(async () => {
    await t?.dispose();
  });

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
    expect(await store.locatorMemory.forTest(p.id, testId)).toEqual([]);

    await store.locatorMemory.save(p.id, testId, [memory(2, 'h2', 'Buy'), memory(0, 'h0', 'Go')]);
    expect(await store.locatorMemory.forTest(p.id, testId)).toEqual([
      memory(0, 'h0', 'Go'),
      memory(2, 'h2', 'Buy'),
    ]);

    // The same step and locator again: replaced, the other entry untouched.
    const healed = { ...memory(2, 'h2', 'Buy now'), winningStrategy: 'role' as const };
    await store.locatorMemory.save(p.id, testId, [healed]);
    expect(await store.locatorMemory.forTest(p.id, testId)).toEqual([
      memory(0, 'h0', 'Go'),
      healed,
    ]);
    // A changed locator of the same step is remembered on its own.
    await store.locatorMemory.save(p.id, testId, [memory(2, 'h2b', 'Pay')]);
    expect((await store.locatorMemory.forTest(p.id, testId)).map((m) => m.locatorHash)).toEqual([
      'h0',
      'h2',
      'h2b',
    ]);

    // Another project sees nothing, cannot overwrite, and cannot clear.
    expect(await store.locatorMemory.forTest(other.id, testId)).toEqual([]);
    await store.locatorMemory.save(other.id, testId, [memory(0, 'h0', 'Hijack')]);
    expect((await store.locatorMemory.forTest(p.id, testId))[0]).toEqual(memory(0, 'h0', 'Go'));
    expect(await store.locatorMemory.clear(other.id, testId)).toBe(0);

    expect(await store.locatorMemory.clear(p.id, testId)).toBe(3);
    expect(await store.locatorMemory.forTest(p.id, testId)).toEqual([]);
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
    const run: Run = {
      id: randomUUID(),
      projectId: p.id,
      status: 'running',
      trigger: { source: 'api' },
      selection: {},
      testIds: [testId, plainId],
      baseUrl: 'http://127.0.0.1:1',
      environment: null,
      parallelWorkers: 1,
      error: null,
      total: 2,
      passed: 0,
      failed: 0,
      skipped: 0,
      errored: 0,
      flaky: 0,
      quarantined: 0,
      createdAt: at,
      startedAt: at,
      finishedAt: null,
    };
    await store.runs.create(run, {});
    const base: TestResult = {
      id: randomUUID(),
      runId: run.id,
      testId,
      testName: 'buy',
      status: 'passed',
      attempt: 1,
      durationMs: 5,
      failedStep: null,
      error: null,
      steps: [],
      consoleErrors: [],
      failedRequests: [],
      artifacts: {},
      startedAt: at,
      finishedAt: at,
    };
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
