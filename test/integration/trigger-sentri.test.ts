import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTriggerHarness, pollUntilDone, type TriggerHarness } from './trigger-harness.ts';

// Seed 000's contract over real HTTP: trigger → 202 { runId, statusUrl } → poll statusUrl until
// not "running" → `completed` only when every test passed; every error row of its table.

let h: TriggerHarness;
let green: { id: string; slug: string; token: string };
let red: { id: string; slug: string; token: string };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  h = await startTriggerHarness();
  green = await h.project('green', ['pass login', 'smoke/pass home']);
  red = await h.project('red', ['pass one', 'fail two', 'fail three']);
});
afterAll(async () => h?.close());

describe('Sentri trigger and status URL (seed 000)', () => {
  it('runs the GitHub Actions flow: 202, absolute statusUrl, poll until completed', async () => {
    const res = await h.call('POST', `/api/v1/projects/${green.slug}/trigger`, undefined, {
      ...bearer(green.token),
      'content-type': 'application/json',
    });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body).sort()).toEqual(['runId', 'statusUrl']);
    expect(res.body.statusUrl).toBe(
      `${h.url}/api/v1/projects/${green.id}/trigger/runs/${res.body.runId}`,
    );
    const first = await h.call('GET', res.body.statusUrl, undefined, bearer(green.token));
    expect(first.status).toBe(200);
    if (first.body.status === 'running') {
      expect(first.body.retryAfterSeconds).toBeGreaterThan(0);
      expect(first.headers.get('retry-after')).toBe(String(first.body.retryAfterSeconds));
    }
    const done = await pollUntilDone(h, res.body.statusUrl, green.token);
    expect(done.body).toMatchObject({
      runId: res.body.runId,
      status: 'completed',
      passed: 2,
      failed: 0,
      total: 2,
      error: null,
    });
    expect(done.body.retryAfterSeconds).toBeUndefined();
    expect(done.headers.get('retry-after')).toBeNull();
    expect(typeof done.body.finishedAt).toBe('string');
  });

  it('ends `failed` with "N of M tests failed" when tests fail, so the job exits 1', async () => {
    const res = await h.call('POST', `/api/v1/projects/${red.id}/trigger`, {}, bearer(red.token));
    expect(res.status).toBe(202);
    const done = await pollUntilDone(h, res.body.statusUrl, red.token);
    expect(done.body).toMatchObject({
      status: 'failed',
      passed: 1,
      failed: 2,
      total: 3,
      error: '2 of 3 tests failed',
    });
  });

  it("runs seed 000's bash job itself (curl and jq come with the bootstrap)", async () => {
    const have = (bin: string): boolean => {
      try {
        execFileSync('which', [bin], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    // scripts/bootstrap.sh installs curl and jq: a missing tool fails here, it is never skipped.
    for (const bin of ['jq', 'curl', 'bash']) expect(have(bin), bin).toBe(true);
    // The two steps of the GitHub Actions job, host and token swapped, `sleep 10` shortened.
    const script = (slug: string) => `
      set -u
      response=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" \\
        -H "Content-Type: application/json" "$HOST/api/v1/projects/${slug}/trigger")
      status_url=$(echo $response | jq -r .statusUrl)
      for i in $(seq 1 60); do
        status=$(curl -sf -H "Authorization: Bearer $TOKEN" "$status_url" | jq -r .status)
        echo "Run status: $status"
        [ "$status" != "running" ] && break
        sleep 0.2
      done
      [ "$status" = "completed" ] || exit 1`;
    // Async: the server answering curl lives in this very process.
    const run = async (slug: string, token: string): Promise<number> => {
      try {
        await promisify(execFile)('bash', ['-c', script(slug)], {
          env: { ...process.env, HOST: h.url, TOKEN: token },
          timeout: 20_000,
        });
        return 0;
      } catch (e) {
        return (e as { code?: number }).code ?? -1;
      }
    };
    expect(await run(green.slug, green.token)).toBe(0);
    expect(await run(red.slug, red.token)).toBe(1);
  });

  it('answers every error row of seed 000', async () => {
    // 401: missing, then invalid token.
    let r = await h.call('POST', `/api/v1/projects/${green.slug}/trigger`);
    expect([r.status, r.body.code]).toEqual([401, 'unauthorized']);
    r = await h.call('POST', `/api/v1/projects/${green.slug}/trigger`, {}, bearer('glt_nope'));
    expect([r.status, r.body.code]).toEqual([401, 'unauthorized']);
    // 403: a token of another project.
    r = await h.call('POST', `/api/v1/projects/${green.slug}/trigger`, {}, bearer(red.token));
    expect([r.status, r.body.error]).toEqual([403, 'Token belongs to a different project']);
    // 404: no such project.
    r = await h.call('POST', '/api/v1/projects/nope/trigger', {}, bearer(green.token));
    expect([r.status, r.body.code]).toEqual([404, 'not_found']);
    // 400: no approved tests.
    const empty = await h.project('empty', []);
    r = await h.call('POST', `/api/v1/projects/empty/trigger`, {}, bearer(empty.token));
    expect([r.status, r.body.code]).toEqual([400, 'no_tests']);
    // 400: a body field that is not ours.
    r = await h.call('POST', `/api/v1/projects/green/trigger`, { nope: 1 }, bearer(green.token));
    expect([r.status, r.body.code]).toEqual([400, 'validation_failed']);
  });

  it('answers 409 while another run of the same key is in progress (policy reject)', async () => {
    h.closeGate();
    const p = await h.project('busy', ['gate slow']);
    const first = await h.call('POST', '/api/v1/projects/busy/trigger', {}, bearer(p.token));
    expect(first.status).toBe(202);
    const second = await h.call('POST', '/api/v1/projects/busy/trigger', {}, bearer(p.token));
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'conflict', details: { runId: first.body.runId } });
    // Another key (another PR) is not blocked.
    const pr = await h.call(
      'POST',
      '/api/v1/projects/busy/trigger',
      { git: { ref: 'feature', prNumber: 7 } },
      bearer(p.token),
    );
    expect(pr.status).toBe(202);
    h.openGate();
    await pollUntilDone(h, first.body.statusUrl, p.token);
    await pollUntilDone(h, pr.body.statusUrl, p.token);
    const after = await h.call('POST', '/api/v1/projects/busy/trigger', {}, bearer(p.token));
    expect(after.status).toBe(202);
    await pollUntilDone(h, after.body.statusUrl, p.token);
  });

  it('refuses what it cannot do, naming it', async () => {
    const cases: [Record<string, unknown>, string][] = [[{ browser: 'firefox' }, 'browser']];
    for (const [body, field] of cases) {
      const r = await h.call('POST', '/api/v1/projects/green/trigger', body, bearer(green.token));
      expect([r.status, r.body.code, r.body.details?.field]).toEqual([
        400,
        'unsupported_field',
        field,
      ]);
      expect(r.body.error).toContain(String(Object.values(body)[0]));
    }
    // A strategy that finds nothing is a clear no_tests naming it, never an empty run.
    const flaky = await h.call(
      'POST',
      '/api/v1/projects/green/trigger',
      { strategy: 'flaky' },
      bearer(green.token),
    );
    expect([flaky.status, flaky.body.code]).toEqual([400, 'no_tests']);
    expect(flaky.body.error).toContain('strategy "flaky"');
    const stray = await h.call(
      'POST',
      '/api/v1/projects/green/trigger',
      { changedFiles: ['src/a.ts'] },
      bearer(green.token),
    );
    expect([stray.status, stray.body.details?.field]).toEqual([400, 'strategy']);
  });

  it('runs only the tests that failed last time with strategy "failed"', async () => {
    const p = await h.project('retry', ['pass a', 'fail b', 'pass c']);
    const first = await h.call('POST', '/api/v1/projects/retry/trigger', {}, bearer(p.token));
    await pollUntilDone(h, first.body.statusUrl, p.token);
    const again = await h.call(
      'POST',
      '/api/v1/projects/retry/trigger',
      { strategy: 'failed', browser: 'chromium', device: 'desktop' },
      bearer(p.token),
    );
    expect(again.status).toBe(202);
    const done = await pollUntilDone(h, again.body.statusUrl, p.token);
    expect(done.body).toMatchObject({ status: 'failed', total: 1, failed: 1 });
  });

  it('reads the status with a user key too, and 404s an unknown run', async () => {
    const res = await h.call('POST', '/api/v1/projects/green/trigger', {}, bearer(green.token));
    const done = await pollUntilDone(h, res.body.statusUrl, h.admin.apiKey);
    expect(done.body.status).toBe('completed');
    const r = await h.call(
      'GET',
      '/api/v1/projects/green/trigger/runs/nope',
      undefined,
      bearer(green.token),
    );
    expect(r.status).toBe(404);
    const other = await h.call('GET', res.body.statusUrl, undefined, bearer(red.token));
    expect(other.status).toBe(403);
  });
});
