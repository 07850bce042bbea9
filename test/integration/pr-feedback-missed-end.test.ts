import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { emptyCounts } from '../../src/domain/run.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { PrFeedback } from '../../src/integrations/pr-feedback.ts';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.ts';
import { newProject, openTestStore, type TestStore } from '../fixtures/engine/test-stores.ts';
import { makeRun } from '../helpers/records.ts';

// A run finished by a process killed before it published `run.finished`: the API process that
// holds the run's PR feedback never hears the event, and finds the end by reading the store.

const TOKEN = 'ghs_MissedEndToken0123456789abcdefXYZ';
const SHA = 'c3d4e5f60718293a4b5c6d7e8f901234567890ab';

let gh: FakeGitHub;
let t: TestStore;
beforeAll(async () => {
  gh = await startFakeGitHub({ tokens: [TOKEN] });
  t = await openTestStore('sqlite');
});
afterAll(async () => {
  await gh?.close();
  await t?.dispose();
});

it('posts the final status and comment of a run whose end never reached the bus', async () => {
  const { store } = t;
  const config = loadConfig({}, { githubApiUrl: gh.url, allowPrivateUrls: ['loopback'] });
  const feedback = new PrFeedback({ store, events: new InProcessEventBus(), config, pollMs: 50 });
  feedback.start();
  try {
    const p = await newProject(store);
    const run = makeRun(p.id, ['t1'], { status: 'running', total: 1 });
    await store.runs.create(run);
    feedback.registerRunFeedback({
      projectId: p.id,
      projectSlug: p.slug,
      runId: run.id,
      runUrl: null,
      target: {
        provider: 'github',
        repo: { owner: 'acme', repo: 'shop' },
        prNumber: 7,
        commitSha: SHA,
        token: TOKEN,
        checks: false,
      },
    });
    // Registered while the run goes on: its pending status is posted, and it waits for the end.
    await feedback.idle();
    expect(gh.statuses.map((s) => s.state)).toEqual(['pending']);
    expect(feedback.heldTokens).toBe(1);

    // Finished in the store only: no event is published.
    const counts = { ...emptyCounts(1), passed: 1 };
    const finishedAt = new Date().toISOString();
    await store.runs.finish(run.id, { status: 'passed', error: null, counts, finishedAt });

    await vi.waitFor(() => expect(feedback.heldTokens).toBe(0), { timeout: 10_000 });
    expect(gh.statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(gh.comments.get('acme/shop#7')).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  } finally {
    await feedback.stop();
  }
});
