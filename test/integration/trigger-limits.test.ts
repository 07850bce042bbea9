import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueuedRunReleaser } from '../../src/engine/concurrency.ts';
import { trigger } from '../../src/engine/trigger.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// Seed 000's 429 row with a tiny configured limit, queued runs surviving a restart, and the
// OpenAPI document covering the trigger routes.

let h: TriggerHarness;
let p: { id: string; slug: string; token: string };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  h = await startTriggerHarness({
    rateLimit: 'on',
    rateLimits: { token: { max: 3, windowMs: 60_000 } },
  });
  p = await h.project('limited', ['pass a', 'gate b']);
});
afterAll(async () => h?.close());

describe('trigger limits and restarts', () => {
  it('answers 429 with Retry-After once a token used up its trigger budget', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await h.call(
        'POST',
        '/api/v1/projects/limited/trigger',
        { tests: [(await ids())['pass a']!], git: { ref: `r${i}` } },
        bearer(p.token),
      );
      statuses.push(last.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(last!.body.code).toBe('rate_limited');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('releases a held (queued) run at start-up when its blocker finished meanwhile', async () => {
    h.closeGate();
    const { older, newer } = await heldPair('deploy');
    // The process "dies" after the older run ends but before anything released the newer one:
    // finish it in the store only, with no event published.
    await finishSilently(older);
    const restarted = new QueuedRunReleaser({ store: h.store, events: new InProcessEventBus() });
    await restarted.start();
    restarted.stop();
    const done = await h.engine.waitForRun(newer.run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('passed');
    h.openGate();
  });

  it('releases a held run while running when its blocker ended without an event', async () => {
    h.closeGate();
    // A releaser that hears nothing: what an API process sees of a worker killed right after
    // finishing the run ahead.
    const deaf = new QueuedRunReleaser({
      store: h.store,
      events: new InProcessEventBus(),
      pollMs: 50,
    });
    await deaf.start();
    try {
      const { older, newer } = await heldPair('release');
      await finishSilently(older);
      const done = await h.engine.waitForRun(newer.run.id, { timeoutMs: 10_000 });
      expect(done.status).toBe('passed');
    } finally {
      deaf.stop();
      h.openGate();
    }
  });

  it('documents every trigger route in the OpenAPI document', async () => {
    const doc = await h.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    for (const path of [
      '/api/v1/projects/{id}/trigger',
      '/api/v1/projects/{id}/trigger/runs/{runId}',
      '/api/v1/ci/trigger',
      '/api/v1/ci/runs/{runId}',
      '/api/ci/runs',
      '/api/ci/runs/{runId}',
      '/api/ci/runs/{runId}/cancel',
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths.some((x) => x.startsWith('/api/*'))).toBe(false);
  });
});

/**
 * Two runs of one key under the `queue` policy, straight through the trigger core (the limiter
 * above has spent this token's budget): the newer is held behind the older, which is stopped
 * at the gate.
 */
async function heldPair(key: string) {
  const t = await ids();
  const deps = { store: h.store, engine: h.engine, config: h.config };
  const principal = { kind: 'trigger' as const, tokenId: 't', projectId: p.id, workspaceId: 'w' };
  const project = (await h.store.projects.get(p.id))!;
  const req = (testId: string) => ({
    shape: 'sentri' as const,
    body: { testId },
    selection: { testIds: [testId] },
    concurrency: { key, policy: 'queue' as const },
  });
  const older = await trigger(deps, project, req(t['gate b']!), principal);
  const newer = await trigger(deps, project, req(t['pass a']!), principal);
  expect((await h.store.runTriggers.get(newer.run.id))?.blockedBy).toBe(older.run.id);
  return { older, newer };
}

/** End a run in the store only, publishing nothing: what a process killed right then leaves. */
async function finishSilently(r: { run: { id: string } }): Promise<void> {
  await h.store.runs.finish(r.run.id, {
    status: 'error',
    error: 'the process stopped',
    counts: { total: 1, passed: 0, failed: 0, skipped: 0, errored: 1, flaky: 0, quarantined: 0 },
    finishedAt: new Date().toISOString(),
  });
}

async function ids(): Promise<Record<string, string>> {
  const tests = await h.store.tests.forSelection(p.id, {});
  return Object.fromEntries(tests.map((t) => [t.name, t.id]));
}
