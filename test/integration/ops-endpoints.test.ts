import { afterEach, describe, expect, it } from 'vitest';
import { passingExecutor, startHarness, type Harness } from './api-harness.ts';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const TOKEN = 'metrics-token-0123456789';

describe('operations endpoints', () => {
  it('/ready answers 200 with per-check details when all is well', async () => {
    h = await startHarness({ config: { chromiumPath: process.execPath } });
    const res = await fetch(`${h.url}/api/v1/ready`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.database).toEqual({ ok: true, detail: 'sqlite' });
    expect(body.checks.queue.ok).toBe(true);
    expect(body.checks.browser).toEqual({ ok: true, detail: process.execPath });
  });

  it('/ready reports a missing browser and a stopped queue as 503 (not cached past its window)', async () => {
    h = await startHarness({ config: { chromiumPath: null, browserWs: 'ws://127.0.0.1:9/x' } });
    await h.engine.stop();
    const res = await fetch(`${h.url}/api/v1/ready`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.status).toBe('not_ready');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.queue.ok).toBe(false);
    expect(body.checks.browser.ok).toBe(false);
    expect(body.checks.browser.detail).toMatch(/remote 127\.0\.0\.1:9/);
  });

  it('/metrics is off without a token and needs the Bearer token when set', async () => {
    h = await startHarness();
    expect((await fetch(`${h.url}/metrics`)).status).toBe(404);
    await h.close();
    h = await startHarness({ config: { metricsToken: TOKEN } });
    expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${h.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-0123456780' },
    });
    expect(wrong.status).toBe(401);
  });

  it('/metrics counts runs by verdict, test durations, queue depth and HTTP latency by route', async () => {
    h = await startHarness({ executor: passingExecutor, config: { metricsToken: TOKEN } });
    const p = await h.call('POST', '/api/v1/projects', {
      name: 'ops',
      baseUrl: 'http://app.invalid',
    });
    expect(p.status).toBe(201);
    const t = await h.call('POST', `/api/v1/projects/${p.body.id}/tests`, {
      name: 'home',
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(t.status).toBe(201);
    const run = await h.call('POST', `/api/v1/projects/${p.body.id}/runs`, {});
    expect(run.status).toBe(202);
    const runId: string = run.body.id;
    await h.engine.waitForRun(runId, { timeoutMs: 10_000 });
    expect((await h.call('GET', `/api/v1/projects/${p.body.id}/runs/${runId}`)).status).toBe(200);
    const res = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^greenlight_runs_started_total 1$/m);
    expect(text).toMatch(/^greenlight_runs_finished_total\{verdict="passed"\} 1$/m);
    expect(text).toMatch(/^greenlight_test_duration_seconds_count\{status="passed"\} 1$/m);
    expect(text).toMatch(/^greenlight_queue_jobs\{state="queued"\} 0$/m);
    expect(text).toMatch(/^greenlight_queue_oldest_job_age_seconds 0$/m);
    expect(text).toMatch(
      /^greenlight_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/projects\/:id\/runs\/:runId",status_code="200"\} \d+$/m,
    );
  });
});
