import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilDone, startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';
import { until } from '../helpers/until.ts';

// Idempotency-Key, `wait`, the concurrency policies, callbacks and the legacy redirect, over
// real HTTP on 127.0.0.1.

let h: TriggerHarness;
let p: { id: string; slug: string; token: string };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = () => bearer(h.admin.apiKey);
const trigger = (project: string, body: unknown, headers: Record<string, string> = {}, q = '') =>
  h.call('POST', `/api/v1/projects/${project}/trigger${q}`, body, {
    ...bearer(p.token),
    ...headers,
  });

beforeAll(async () => {
  h = await startTriggerHarness(
    { allowPrivateUrls: ['loopback'], waitTimeoutMs: 60_000 },
    { withCallbacks: true },
  );
  p = await h.project('app', ['pass a', 'gated/gate b', 'red/fail c']);
});
afterAll(async () => h?.close());

describe('Idempotency-Key', () => {
  it('replays the same run for the same key and body, 422 for another body', async () => {
    const body = { suites: ['red'], git: { ref: 'idem', commitSha: 'abcdef1' } };
    const first = await trigger('app', body, { 'idempotency-key': 'job-1' });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Same body with keys in another order: still the same request.
    const again = await trigger(
      'app',
      { git: { commitSha: 'abcdef1', ref: 'idem' }, suites: ['red'] },
      { 'idempotency-key': 'job-1' },
    );
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await trigger('app', { suites: ['gated'] }, { 'idempotency-key': 'job-1' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_mismatch');
    expect(other.body.error).toContain('job-1');
    await pollUntilDone(h, first.body.statusUrl, p.token);
    // A finished run is still replayed (no 409, no new run) within 24 h.
    const later = await trigger('app', body, { 'idempotency-key': 'job-1' });
    expect([later.status, later.body.runId]).toEqual([200, first.body.runId]);
  });

  it('keeps one run when the same key arrives twice at once', async () => {
    const body = { suites: ['red'], git: { ref: 'twice' } };
    const [a, b] = await Promise.all([
      trigger('app', body, { 'idempotency-key': 'job-2' }),
      trigger('app', body, { 'idempotency-key': 'job-2' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.body.runId).toBe(b.body.runId);
    await pollUntilDone(h, a.body.statusUrl, p.token);
  });
});

describe('wait', () => {
  it('answers 200 with the final status when the run passed', async () => {
    const res = await trigger('app', { tests: [await testId('pass a')], wait: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', passed: 1, total: 1, error: null });
  });

  it('answers 422 run_failed when the run failed (?wait=true), so curl -f fails', async () => {
    const res = await trigger('app', { suites: ['red'], git: { ref: 'w' } }, {}, '?wait=true');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'run_failed',
      status: 'failed',
      failed: 1,
      error: '1 of 1 test failed',
    });
  });

  it('answers 504 wait_timeout when the run outlives the wait, and the run goes on', async () => {
    h.closeGate();
    const res = await trigger('app', {
      suites: ['gated'],
      git: { ref: 'slow' },
      wait: true,
      waitTimeoutSeconds: 1,
    });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ code: 'wait_timeout', status: 'running' });
    expect(res.headers.get('retry-after')).not.toBeNull();
    h.openGate();
    const done = await pollUntilDone(h, statusUrlOf(res.body.runId), p.token);
    expect(done.body.status).toBe('completed');
  });

  it('stops waiting when the client goes away (no listener left behind)', async () => {
    h.closeGate();
    const ctrl = new AbortController();
    const pending = fetch(`${h.url}/api/v1/projects/app/trigger`, {
      method: 'POST',
      headers: { ...bearer(p.token), 'content-type': 'application/json' },
      body: JSON.stringify({ suites: ['gated'], git: { ref: 'gone' }, wait: true }),
      signal: ctrl.signal,
    }).catch(() => null);
    const runId = await until('the run to be running with a listener', async () => {
      const items = (await h.store.runs.list(p.id, { limit: 1, offset: 0 })).items;
      const run = items[0];
      return run && run.status === 'running' && h.events.listenerCount(run.id) > 0
        ? run.id
        : undefined;
    });
    ctrl.abort();
    await pending;
    await until('the listener to be gone', () => h.events.listenerCount(runId) === 0);
    h.openGate();
    await pollUntilDone(h, statusUrlOf(runId), p.token);
  });
});

describe('concurrency policies', () => {
  it('queue: the newer run waits for the older one, then runs', async () => {
    h.closeGate();
    const body = { suites: ['gated'], git: { ref: 'main' }, concurrency: { policy: 'queue' } };
    const older = await trigger('app', body);
    const newer = await trigger('app', body);
    expect([older.status, newer.status]).toEqual([202, 202]);
    await until(
      'the older run to be running',
      async () => (await run(older.body.runId)).status === 'running',
    );
    // Two workers are free, yet the newer run's test has not started.
    expect((await run(newer.body.runId)).status).toBe('queued');
    const status = await h.call('GET', newer.body.statusUrl, undefined, bearer(p.token));
    expect(status.body.status).toBe('running');
    h.openGate();
    expect((await pollUntilDone(h, older.body.statusUrl, p.token)).body.status).toBe('completed');
    expect((await pollUntilDone(h, newer.body.statusUrl, p.token)).body.status).toBe('completed');
    const [a, b] = [await run(older.body.runId), await run(newer.body.runId)];
    expect(b.startedAt! >= a.finishedAt!).toBe(true);
  });

  it('supersede: the older run is cancelled, the newer one runs', async () => {
    h.closeGate();
    const older = await trigger('app', { suites: ['gated'], git: { prNumber: 12 } });
    const newer = await trigger('app', {
      suites: ['red'],
      git: { prNumber: 12 },
      concurrency: { policy: 'supersede' },
    });
    expect(newer.status).toBe(202);
    const old = await pollUntilDone(h, older.body.statusUrl, p.token);
    expect(old.body.status).toBe('aborted');
    expect(old.body.error).toContain('superseded');
    expect((await pollUntilDone(h, newer.body.statusUrl, p.token)).body.status).toBe('failed');
    h.openGate();
  });

  it("a trigger that names no policy gets the project's (set with PATCH), reject before that", async () => {
    h.closeGate();
    const body = { suites: ['gated'], git: { ref: 'project-default' } };
    const first = await trigger('app', body);
    expect(first.status).toBe(202);
    expect((await trigger('app', body)).status).toBe(409);
    const patched = await h.call(
      'PATCH',
      '/api/v1/projects/app',
      { concurrencyPolicy: 'supersede' },
      admin(),
    );
    expect([patched.status, patched.body.concurrencyPolicy]).toEqual([200, 'supersede']);
    const second = await trigger('app', body);
    expect(second.status).toBe(202);
    const old = await pollUntilDone(h, first.body.statusUrl, p.token);
    expect([old.body.status, old.body.error]).toEqual([
      'aborted',
      expect.stringContaining('superseded'),
    ]);
    // A policy in the request still wins over the project's.
    expect((await trigger('app', { ...body, concurrency: { policy: 'reject' } })).status).toBe(409);
    const bad = await h.call(
      'PATCH',
      '/api/v1/projects/app',
      { concurrencyPolicy: 'later' },
      admin(),
    );
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
    await h.call('PATCH', '/api/v1/projects/app', { concurrencyPolicy: 'reject' }, admin());
    h.openGate();
    await pollUntilDone(h, second.body.statusUrl, p.token);
  });

  it('an explicit key shares the lock across refs', async () => {
    h.closeGate();
    const a = await trigger('app', { suites: ['gated'], concurrency: { key: 'deploy' } });
    const b = await trigger('app', {
      suites: ['red'],
      git: { ref: 'other' },
      concurrency: { key: 'deploy', policy: 'reject' },
    });
    expect([a.status, b.status]).toEqual([202, 409]);
    h.openGate();
    await pollUntilDone(h, a.body.statusUrl, p.token);
  });
});

describe('callbacks', () => {
  let receiver: Server;
  const got: { body: Record<string, unknown>; headers: IncomingMessage['headers'] }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        got.push({ body: JSON.parse(text) as Record<string, unknown>, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

  it("POSTs seed 000's summary to callbackUrl when the run ends", async () => {
    const port = (receiver.address() as AddressInfo).port;
    const res = await trigger('app', {
      suites: ['red'],
      git: { ref: 'cb' },
      callbackUrl: `http://127.0.0.1:${port}/hooks/greenlight`,
    });
    expect(res.status).toBe(202);
    await until('a callback', () => got.length > 0);
    expect(got[0]!.body).toEqual({
      runId: res.body.runId,
      status: 'failed',
      passed: 0,
      failed: 1,
      total: 1,
      error: '1 of 1 test failed',
    });
  });

  it("a superseded run's callback reports it cancelled as superseded", async () => {
    const port = (receiver.address() as AddressInfo).port;
    h.closeGate();
    const older = await trigger('app', {
      suites: ['gated'],
      git: { ref: 'cb-supersede' },
      callbackUrl: `http://127.0.0.1:${port}/hooks/older`,
    });
    expect(older.status).toBe(202);
    const newer = await trigger('app', {
      suites: ['red'],
      git: { ref: 'cb-supersede' },
      concurrency: { policy: 'supersede' },
    });
    expect(newer.status).toBe(202);
    await until("the older run's callback", () =>
      got.some((g) => g.body.runId === older.body.runId),
    );
    const sent = got.find((g) => g.body.runId === older.body.runId)!;
    expect(sent.body.error).toBe(
      'the run was cancelled: superseded by a newer run of concurrency key "ref:cb-supersede"',
    );
    h.openGate();
    await pollUntilDone(h, newer.body.statusUrl, p.token);
  });

  it('refuses a callback to a private address (SSRF guard)', async () => {
    const res = await trigger('app', { callbackUrl: 'http://10.0.0.1/hook', git: { ref: 'x' } });
    expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
  });
});

describe('legacy /api/* paths', () => {
  it('answer 308 to /api/v1/* keeping the method and the query', async () => {
    const post = await h.call('POST', '/api/projects/app/trigger?wait=false', {});
    expect(post.status).toBe(308);
    expect(post.headers.get('location')).toBe('/api/v1/projects/app/trigger?wait=false');
    const get = await h.call('GET', '/api/projects');
    expect([get.status, get.headers.get('location')]).toEqual([308, '/api/v1/projects']);
    // Following it (fetch keeps POST and the body on a 308) triggers for real.
    const followed = await h.call(
      'POST',
      '/api/projects/app/trigger',
      { suites: ['red'], git: { ref: 'legacy' } },
      bearer(p.token),
      { redirect: 'follow' },
    );
    expect(followed.status).toBe(202);
    await pollUntilDone(h, followed.body.statusUrl, p.token);
    // Certyn's /api/ci and the versioned API are not legacy.
    expect((await h.call('GET', '/api/ci/runs/nope')).status).toBe(401);
    expect((await h.call('GET', '/api/v1/nothing-here')).status).toBe(404);
  });
});

async function testId(name: string): Promise<string> {
  const tests = await h.store.tests.forSelection(p.id, {});
  const t = tests.find((x) => x.name === name);
  if (!t) throw new Error(`no test ${name}`);
  return t.id;
}

async function run(runId: string) {
  const r = await h.store.runs.get(null, runId);
  if (!r) throw new Error(`no run ${runId}`);
  return r;
}

const statusUrlOf = (runId: string): string =>
  `${h.url}/api/v1/projects/${p.id}/trigger/runs/${runId}`;

/** Poll a condition (bounded) until it yields a value. */
