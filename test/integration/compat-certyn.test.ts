import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';
import { pollUntilDone, startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// Certyn's CI runs API (seed 003): create with X-API-Key + Idempotency-Key, poll `state`,
// gate on `failed > 0 || blocked > 0`, cancel with a reason.

let h: TriggerHarness;
let green: { id: string; slug: string; token: string };
let red: { id: string; slug: string; token: string };
const key = (token: string) => ({ 'x-api-key': token });

/** Seed 003's polling script as the seed prints it; it sleeps the retryAfterSeconds we answer. */
const pollScript = readFileSync(join(repoRoot, 'test', 'fixtures', 'seeds', '003-poll.sh'), 'utf8');

// curl and jq are installed by scripts/bootstrap.sh: a missing one fails the test, never skips it.
async function runPollScript(runId: string, token: string): Promise<number> {
  try {
    await promisify(execFile)('bash', ['-c', pollScript, '003-poll.sh', runId], {
      env: { ...process.env, CERTYN_API_URL: h.url, CERTYN_API_KEY: token },
      timeout: 20_000,
    });
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
}

beforeAll(async () => {
  h = await startTriggerHarness({ retryAfterSeconds: 1 });
  green = await h.project('my-app', ['smoke-suite/pass login', 'smoke-suite/pass home', 'pass x']);
  red = await h.project('red-app', ['smoke-suite/pass a', 'smoke-suite/fail b']);
});
afterAll(async () => h?.close());

describe('Certyn CI runs API (seed 003)', () => {
  it('creates a run from the seed body and the polling script passes it', async () => {
    const res = await h.call(
      'POST',
      '/api/ci/runs',
      {
        projectSlug: 'my-app',
        processSlug: 'smoke-suite',
        repository: 'org/repo',
        ref: 'main',
        commitSha: 'a1b2c3d4',
        event: 'push',
        externalUrl: 'https://ci.example.com/build/123',
      },
      { ...key(green.token), 'idempotency-key': 'ci-job-1' },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ runId: expect.any(String), total: 2 });
    expect(['in_progress', 'completed']).toContain(res.body.state);
    const script = await runPollScript(res.body.runId, green.token);
    expect(script).toBe(0);
    const done = await pollUntilDone(h, res.body.statusUrl, green.token, 'state', ['in_progress']);
    expect(done.body).toMatchObject({
      state: 'completed',
      status: 'passed',
      failed: 0,
      blocked: 0,
    });
    // What the pipeline sent comes back on the GET; appUrl is a page a person opens.
    expect(done.body).toMatchObject({
      repository: 'org/repo',
      ref: 'main',
      commitSha: 'a1b2c3d4',
      event: 'push',
      externalUrl: 'https://ci.example.com/build/123',
      appUrl: `${h.url}/projects/${green.id}/runs/${res.body.runId}`,
    });
    const page = await h.call('GET', done.body.appUrl, undefined, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(done.body.retryAfterSeconds).toBeUndefined();
    // The retried CI job gets the same run.
    const retried = await h.call(
      'POST',
      '/api/ci/runs',
      {
        projectSlug: 'my-app',
        processSlug: 'smoke-suite',
        repository: 'org/repo',
        ref: 'main',
        commitSha: 'a1b2c3d4',
        event: 'push',
        externalUrl: 'https://ci.example.com/build/123',
      },
      { ...key(green.token), 'idempotency-key': 'ci-job-1' },
    );
    expect([retried.status, retried.body.runId]).toEqual([200, res.body.runId]);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const meta = await h.store.runTriggers.get(res.body.runId);
    expect(meta).toMatchObject({ shape: 'certyn', event: 'push', git: { ref: 'main' } });
  });

  it('gates a failing run: failed > 0, the script exits 1', async () => {
    const res = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'red-app', tags: [], processSlug: 'smoke-suite' },
      key(red.token),
    );
    expect(res.status).toBe(400); // both given (and tags empty)
    const ok = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'red-app', processSlug: 'smoke-suite' },
      key(red.token),
    );
    expect(ok.status).toBe(202);
    const script = await runPollScript(ok.body.runId, red.token);
    expect(script).toBe(1);
    const done = await pollUntilDone(h, ok.body.statusUrl, red.token, 'state', ['in_progress']);
    expect(done.body).toMatchObject({ state: 'completed', status: 'failed', failed: 1 });
  });

  it('cancels a run with a reason: state cancelled, blocked > 0, the reason shown', async () => {
    h.closeGate();
    const gated = await h.project('gated-app', ['smoke-suite/gate slow', 'smoke-suite/gate too']);
    const res = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'gated-app', processSlug: 'smoke-suite' },
      key(gated.token),
    );
    expect(res.status).toBe(202);
    const running = await h.call('GET', res.body.statusUrl, undefined, key(gated.token));
    // The polling hint is the server's (GREENLIGHT_RETRY_AFTER_SECONDS; 1 s in this harness).
    expect(running.body).toMatchObject({ state: 'in_progress', retryAfterSeconds: 1 });
    expect(running.headers.get('retry-after')).toBe('1');
    const cancelled = await h.call(
      'POST',
      `/api/ci/runs/${res.body.runId}/cancel`,
      { reason: 'Cancelled by pipeline' },
      key(gated.token),
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(cancelled.body.blocked).toBeGreaterThan(0);
    expect(cancelled.body.error).toContain('Cancelled by pipeline');
    const script = await runPollScript(res.body.runId, gated.token);
    expect(script).toBe(1);
    expect((await h.store.runTriggers.get(res.body.runId))?.cancelReason).toBe(
      'Cancelled by pipeline',
    );
    h.openGate();
  });

  it('accepts a personal API key with runs:trigger; refuses other projects and unknown runs', async () => {
    const byUser = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'my-app', tags: ['nothing-tagged'] },
      key(h.admin.apiKey),
    );
    expect([byUser.status, byUser.body.code]).toEqual([400, 'no_tests']);
    const other = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'my-app', processSlug: 'smoke-suite' },
      key(red.token),
    );
    expect(other.status).toBe(403);
    const missing = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'no-such-app', processSlug: 'smoke-suite' },
      key(red.token),
    );
    expect(missing.status).toBe(404);
    expect((await h.call('GET', '/api/ci/runs/nope', undefined, key(red.token))).status).toBe(404);
    expect((await h.call('GET', '/api/ci/runs/nope')).status).toBe(401);
    const res = await h.call(
      'POST',
      '/api/ci/runs',
      { projectSlug: 'my-app', processSlug: 'smoke-suite', ref: 'x' },
      key(green.token),
    );
    const foreign = await h.call('GET', res.body.statusUrl, undefined, key(red.token));
    expect(foreign.status).toBe(403);
    const cancel = await h.call(
      'POST',
      `/api/ci/runs/${res.body.runId}/cancel`,
      {},
      key(red.token),
    );
    expect(cancel.status).toBe(403);
    await pollUntilDone(h, res.body.statusUrl, green.token, 'state', ['in_progress']);
  });
});
