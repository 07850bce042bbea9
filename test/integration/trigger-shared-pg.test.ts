import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse } from './api-harness.ts';
import { addTests, newProject } from '../fixtures/engine/test-stores.ts';
import { createAdmin } from './auth-helpers.ts';
import { sharedPgApps, type SharedApps } from './shared-pg-apps.ts';

// Two API processes on one PostgreSQL receive triggers of the same concurrency key at the same
// moment: policy "reject" must start exactly one run, "queue" must chain them, whichever
// process answers. Each app has its own in-process mutex, so only the database can decide.

let s: SharedApps;
let slug: string;
let auth: Record<string, string>;

beforeAll(async () => {
  s = await sharedPgApps(2);
  const store = s.apps[0]!.store;
  const project = await newProject(store);
  await addTests(store, project, ['one']);
  slug = project.slug;
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
});
