import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from './api-harness.ts';
import { releaseReadyRuns } from '../../src/engine/concurrency.ts';
import { addTests, newProject } from '../fixtures/engine/test-stores.ts';
import { createAdmin } from './auth-helpers.ts';
import { sharedPgApps, type SharedApps } from './shared-pg-apps.ts';

// Two API processes on one PostgreSQL receive triggers of the same concurrency key at the same
// moment: policy "reject" must start exactly one run, "queue" must chain them, "supersede" must
// leave exactly one active, whichever process answers. Each app has its own in-process mutex,
// so only the database can decide.

let s: SharedApps;
let projectId: string;
let slug: string;
let auth: Record<string, string>;

beforeAll(async () => {
  s = await sharedPgApps(2);
  const store = s.apps[0]!.store;
  const project = await newProject(store);
  await addTests(store, project, ['one']);
  slug = project.slug;
  projectId = project.id;
  const admin = await createAdmin(store);
  auth = { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' };
}, 60_000);
afterAll(async () => s?.close());

async function trigger(appIndex: number, body: unknown): Promise<Omit<ApiResponse, 'headers'>> {
  const res = await fetch(`${s.apps[appIndex]!.url}/api/v1/projects/${slug}/trigger`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('a concurrency key on two processes', () => {
  it('policy reject: of simultaneous triggers on both, one run starts and the rest get 409', async () => {
    for (let round = 0; round < 8; round++) {
      const body = { concurrency: { key: `reject-${round}`, policy: 'reject' } };
      const answers = await Promise.all([
        trigger(0, body),
        trigger(1, body),
        trigger(0, body),
        trigger(1, body),
      ]);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, `round ${round}`).toEqual([202, 409, 409, 409]);
      const winner = answers.find((a) => a.status === 202)!;
      for (const a of answers.filter((x) => x.status === 409)) {
        expect(a.body.code).toBe('conflict');
        expect(a.body.details.runId).toBe(winner.body.runId);
      }
    }
  });

  it('policy queue: simultaneous triggers on both form one chain, each waiting for the one before', async () => {
    const body = { concurrency: { key: 'queue-1', policy: 'queue' } };
    const answers = await Promise.all([
      trigger(0, body),
      trigger(1, body),
      trigger(0, body),
      trigger(1, body),
    ]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const store = s.apps[0]!.store;
    const triggers = await Promise.all(answers.map((a) => store.runTriggers.get(a.body.runId)));
    const blockers = triggers.map((t) => t!.blockedBy);
    // Exactly one run waits for nothing, and no two runs wait for the same one.
    expect(blockers.filter((b) => b === null)).toHaveLength(1);
    const waitedFor = blockers.filter((b) => b !== null);
    expect(new Set(waitedFor).size).toBe(waitedFor.length);
    for (const b of waitedFor) expect(answers.map((a) => a.body.runId)).toContain(b);
  });

  it('policy supersede: of simultaneous triggers on both, one run stays active and every other is cancelled', async () => {
    const store = s.apps[0]!.store;
    for (let round = 0; round < 8; round++) {
      const key = `supersede-${round}`;
      const body = { concurrency: { key, policy: 'supersede' } };
      const older = await trigger(0, body);
      expect(older.status).toBe(202);
      const answers = await Promise.all([
        trigger(0, body),
        trigger(1, body),
        trigger(0, body),
        trigger(1, body),
      ]);
      expect(
        answers.map((a) => a.status),
        `round ${round}`,
      ).toEqual([202, 202, 202, 202]);
      const ids = [older, ...answers].map((a) => a.body.runId as string);
      const runs = await Promise.all(ids.map((id) => store.runs.get(projectId, id)));
      // Every answered run was written whole: the run and its trigger row.
      for (const id of ids) expect((await store.runTriggers.get(id))?.concurrencyKey).toBe(key);
      const active = await store.runTriggers.activeForKey(projectId, key);
      expect(active, `round ${round}: active runs`).toHaveLength(1);
      expect(ids).toContain(active[0]!.runId);
      for (const run of runs) {
        if (run!.id === active[0]!.runId) continue;
        expect([run!.status, run!.error], `round ${round}`).toEqual([
          'cancelled',
          `the run was cancelled: superseded by a newer run of concurrency key "${key}"`,
        ]);
      }
    }
  });

  it('policy queue: when the run ahead ends and both processes release at once, one run starts', async () => {
    const stores = s.apps.map((a) => a.store);
    for (let round = 0; round < 4; round++) {
      const key = `queue-release-${round}`;
      const body = { concurrency: { key, policy: 'queue' } };
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => trigger(i % 2, body)));
      expect(answers.map((a) => a.status)).toEqual(Array<number>(6).fill(202));
      // Each step: exactly one active run of the key is free to start and the others wait for
      // it in one line; ending it lets exactly the next one go, whichever process releases.
      for (let left = 6; left > 0; left--) {
        const heads = await freeRuns(key);
        expect(heads, `round ${round}, ${left} left`).toHaveLength(1);
        expect(await stores[0]!.runTriggers.activeForKey(projectId, key)).toHaveLength(left);
        await s.apps[left % 2]!.engine.cancelRun(projectId, heads[0]!);
        await Promise.all(stores.map((st) => releaseReadyRuns(st, () => new Date())));
      }
      expect(await freeRuns(key)).toEqual([]);
    }
  });
});

/** Active runs of the key that wait for nothing (policy queue: may start now). */
async function freeRuns(key: string): Promise<string[]> {
  const store = s.apps[0]!.store;
  const free: string[] = [];
  for (const a of await store.runTriggers.activeForKey(projectId, key)) {
    if ((await store.runTriggers.get(a.runId))!.blockedBy === null) free.push(a.runId);
  }
  return free;
}
