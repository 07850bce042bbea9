import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/engine/scheduler.ts';
import { pollUntilDone, startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// A run that names no environment gets the project's `default` environment (its variables,
// secrets and base URL), however it was started: each trigger shape, POST /runs, a schedule.
// Seed 000's body-less trigger and seed 003's create without environmentKey rely on it.

let h: TriggerHarness;
let p: { id: string; slug: string; token: string };
const asAdmin = () => ({ authorization: `Bearer ${h.admin.apiKey}` });

beforeAll(async () => {
  h = await startTriggerHarness();
  p = await h.project('envy', ['smoke/pass hello']);
  const env = await h.call(
    'PUT',
    `/api/v1/projects/envy/environments/default`,
    {
      baseUrl: 'https://default.envy.test',
      variables: { DEMO_EMAIL: 'demo@example.com' },
      secrets: { DEMO_PASSWORD: 'greenlight123' },
    },
    asAdmin(),
  );
  expect(env.status).toBe(201);
  await h.call(
    'PUT',
    `/api/v1/projects/envy/environments/staging`,
    { variables: { DEMO_EMAIL: 'staging@example.com' } },
    asAdmin(),
  );
});
afterAll(async () => h?.close());

/** What the executor saw of the run's one test. */
function seenBy(runId: string) {
  const job = h.executions.find((j) => j.run.id === runId);
  if (!job) throw new Error(`run ${runId} executed nothing`);
  return { variables: job.variables, secrets: job.secrets, baseUrl: job.run.baseUrl };
}

const defaults = {
  variables: { DEMO_EMAIL: 'demo@example.com', DEMO_PASSWORD: 'greenlight123' },
  secrets: ['greenlight123'],
  baseUrl: 'https://default.envy.test',
};

describe('the default environment', () => {
  it('applies to a body-less Sentri trigger (seed 000)', async () => {
    const res = await h.call('POST', '/api/v1/projects/envy/trigger', undefined, {
      authorization: `Bearer ${p.token}`,
    });
    expect(res.status).toBe(202);
    const done = await pollUntilDone(h, res.body.statusUrl, p.token);
    expect(done.body.status).toBe('completed');
    const run = await h.store.runs.get(null, res.body.runId);
    expect(run?.environment).toBe('default');
    expect(seenBy(res.body.runId)).toEqual(defaults);
  });

  it('applies to Certyn without environmentKey and to Aegis without environmentId', async () => {
    const certyn = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'envy', processSlug: 'smoke' },
      { 'x-api-key': p.token },
    );
    expect(certyn.status).toBe(202);
    await pollUntilDone(h, certyn.body.statusUrl, p.token, 'state', ['in_progress']);
    expect(seenBy(certyn.body.runId)).toEqual(defaults);

    const aegis = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { wait: true },
      { authorization: `Bearer aegis_${p.token}` },
    );
    expect([aegis.status, aegis.body.status]).toEqual([200, 'passed']);
    expect(seenBy(aegis.body.runId)).toEqual(defaults);
  });

  it('applies to POST /runs and to a schedule; a named environment still wins', async () => {
    const run = await h.call('POST', '/api/v1/projects/envy/runs', {}, asAdmin());
    expect(run.status).toBe(202);
    expect(run.body.environment).toBe('default');
    await h.engine.waitForRun(run.body.id);
    expect(seenBy(run.body.id)).toEqual(defaults);

    const named = await h.call(
      'POST',
      '/api/v1/projects/envy/runs',
      { environment: 'staging' },
      asAdmin(),
    );
    await h.engine.waitForRun(named.body.id);
    expect(seenBy(named.body.id).variables).toEqual({ DEMO_EMAIL: 'staging@example.com' });

    const sched = await h.call(
      'POST',
      '/api/v1/projects/envy/schedules',
      { name: 'nightly', cron: '* * * * *' },
      asAdmin(),
    );
    expect(sched.status).toBe(201);
    const scheduler = new Scheduler({ store: h.store, engine: h.engine });
    const report = await scheduler.tick(new Date(Date.now() + 120_000));
    const fired = report.fired[0];
    expect(fired).toBeDefined();
    await h.engine.waitForRun(fired!.runId);
    expect(seenBy(fired!.runId)).toEqual(defaults);
  });

  it('is optional: a project without one runs on its own base URL with no variables', async () => {
    const bare = await h.project('bare', ['pass plain']);
    const res = await h.call('POST', '/api/v1/projects/bare/trigger', undefined, {
      authorization: `Bearer ${bare.token}`,
    });
    await pollUntilDone(h, res.body.statusUrl, bare.token);
    const run = await h.store.runs.get(null, res.body.runId);
    expect(run?.environment).toBeNull();
    expect(seenBy(res.body.runId).variables).toEqual({});

    // Naming `default` (as the README's examples do) is the same as naming none, not a 404;
    // another missing name still is.
    const named = await h.call(
      'POST',
      '/api/v1/projects/bare/trigger',
      { environment: 'default' },
      { authorization: `Bearer ${bare.token}` },
    );
    expect(named.status).toBe(202);
    await pollUntilDone(h, named.body.statusUrl, bare.token);
    expect((await h.store.runs.get(null, named.body.runId))?.environment).toBeNull();
    const missing = await h.call(
      'POST',
      '/api/v1/projects/bare/trigger',
      { environment: 'staging' },
      { authorization: `Bearer ${bare.token}` },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('environment "staging" not found');
  });
});
