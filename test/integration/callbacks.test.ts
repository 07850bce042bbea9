import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import {
  CallbackDispatcher,
  type CallbackDispatcherOptions,
} from '../../src/integrations/callbacks.ts';
import type { Delivery } from '../../src/store/outbox.ts';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';
import { freePort, startReceiver, until, type Receiver } from './callbacks-receiver.ts';

// Tests named `block…` run until the run is cancelled; the others pass at once.
const executor: TestExecutor = async (job) => {
  if (job.test.name.startsWith('block')) {
    await new Promise<void>((_, reject) => {
      if (job.signal.aborted) return reject(new Error('aborted'));
      job.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }
  return passingExecutor(job);
};

let h: Harness;
let projectId: string;
let secret: string;
const P = '/api/v1/projects/callbacks';
const receivers: Receiver[] = [];
const dispatchers: CallbackDispatcher[] = [];

async function dispatcher(o: Partial<CallbackDispatcherOptions> = {}): Promise<CallbackDispatcher> {
  const d = new CallbackDispatcher({
    store: h.store,
    events: h.events,
    config: h.config,
    pollIntervalMs: 20,
    retry: { delaysMs: [50], maxAttempts: 3, jitter: 0 },
    attemptTimeoutMs: 2_000,
    ...o,
  });
  dispatchers.push(d);
  await d.start();
  return d;
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  r.secret = secret;
  receivers.push(r);
  return r;
}

/** Start a run of the passing tests; returns its id once it has finished. */
async function finishedRun(tags = ['fast']): Promise<string> {
  const res = await h.call('POST', `${P}/runs`, { tags });
  expect(res.status).toBe(202);
  const runId = res.body.id as string;
  await h.engine.waitForRun(runId, { timeoutMs: 10_000 });
  return runId;
}

/** The run's original delivery once it is delivered or given up. */
async function settled(runId: string): Promise<Delivery> {
  const page = await until(
    () => h.store.outbox.list(projectId, { runId, limit: 10, offset: 0 }),
    (p) => p.items.length > 0 && p.items.every((d) => d.status !== 'pending'),
  );
  return page.items[page.items.length - 1]!;
}

beforeAll(async () => {
  h = await startHarness({ executor, config: { allowPrivateUrls: ['loopback'] } });
  const p = await h.call('POST', '/api/v1/projects', {
    name: 'Callbacks',
    baseUrl: 'http://a.test',
  });
  projectId = p.body.id;
  for (const [name, tags] of [
    ['fast one', ['fast']],
    ['block forever', ['slow']],
  ] as const) {
    const t = await h.call('POST', `${P}/tests`, {
      name,
      tags,
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(t.status).toBe(201);
  }
  const rotated = await h.call('POST', `${P}/callback-secret/rotate`);
  expect(rotated.status).toBe(200);
  secret = rotated.body.secret;
});

afterAll(async () => {
  for (const d of dispatchers) await d.stop();
  for (const r of receivers) await r.close();
  await h?.close();
});

describe('signed callbacks from the outbox', () => {
  it('POSTs the signed seed-000 summary; the receiver verifies it and refuses a tampered body', async () => {
    const d = await dispatcher();
    const r = await receiver();
    const runId = await finishedRun();
    await d.registerRunCallback({ projectId, runId, url: `${r.url}/hooks/greenlight` });
    const delivery = await settled(runId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204 });
    expect(r.got).toHaveLength(1);
    const got = r.got[0]!;
    expect(got.valid).toBe(true);
    expect(got.path).toBe('/hooks/greenlight');
    expect(JSON.parse(got.body)).toEqual({
      runId,
      status: 'completed',
      passed: 1,
      failed: 0,
      total: 1,
      error: null,
    });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-greenlight-event']).toBe('run.finished');
    expect(got.headers['x-greenlight-delivery']).toBe(delivery.id);
    expect(got.headers['x-greenlight-signature']).toMatch(/^v1=[0-9a-f]{64}$/);

    // The same headers with a changed body: the receiver's check refuses it.
    const tampered = got.body.replace('"completed"', '"failed"');
    const res = await fetch(`${r.url}/hooks/greenlight`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-greenlight-timestamp': String(got.headers['x-greenlight-timestamp']),
        'x-greenlight-signature': String(got.headers['x-greenlight-signature']),
      },
      body: tampered,
    });
    expect(res.status).toBe(401);
    await res.text();
    expect(r.got[1]?.valid).toBe(false);
    await d.stop();
  });

  it('keeps retrying a receiver that is down and delivers once it is back', async () => {
    const d = await dispatcher({ retry: { delaysMs: [100], maxAttempts: 50, jitter: 0 } });
    const port = await freePort();
    const runId = await finishedRun();
    await d.registerRunCallback({ projectId, runId, url: `http://127.0.0.1:${port}/cb` });
    await until(
      () => h.store.outbox.list(projectId, { runId, limit: 1, offset: 0 }),
      (p) => (p.items[0]?.attempts ?? 0) >= 2,
    );
    const r = await receiver(undefined, port);
    const delivery = await settled(runId);
    expect(delivery.status).toBe('delivered');
    expect(r.got.filter((g) => g.valid)).toHaveLength(1);
    const log = await h.store.outbox.attempts(delivery.id);
    expect(log.length).toBeGreaterThanOrEqual(3);
    expect(log[0]).toMatchObject({ attempt: 1, statusCode: null });
    expect(log[0]?.error).toMatch(/ECONNREFUSED/);
    expect(log[log.length - 1]).toMatchObject({ statusCode: 204, error: null });
    await d.stop();
  });

  it('counts a receiver that hangs as a timed-out attempt and gives up after the last one', async () => {
    const d = await dispatcher({
      attemptTimeoutMs: 200,
      retry: { delaysMs: [20], maxAttempts: 2, jitter: 0 },
    });
    const r = await receiver(() => {}); // never answers
    const runId = await finishedRun();
    await d.registerRunCallback({ projectId, runId, url: r.url });
    const delivery = await settled(runId);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 2, lastStatusCode: null });
    const log = await h.store.outbox.attempts(delivery.id);
    expect(log.map((a) => a.error)).toEqual(['timed out after 200 ms', 'timed out after 200 ms']);
    expect(log.every((a) => a.durationMs >= 150 && a.durationMs < 5_000)).toBe(true);
    await d.stop();
  });

  it('gives up on 4xx, retries 503, and never follows a redirect', async () => {
    const d = await dispatcher();
    let busy = 0;
    const r = await receiver((req, res) => {
      if (req.path === '/gone') res.statusCode = 410;
      else if (req.path === '/busy') res.statusCode = ++busy === 1 ? 503 : 200;
      else if (req.path === '/moved') {
        res.statusCode = 302;
        res.setHeader('location', `${r.url}/target`);
      } else res.statusCode = 200;
      res.end();
    });
    const [gone, busyRun, moved] = [await finishedRun(), await finishedRun(), await finishedRun()];
    await d.registerRunCallback({ projectId, runId: gone, url: `${r.url}/gone` });
    await d.registerRunCallback({ projectId, runId: busyRun, url: `${r.url}/busy` });
    await d.registerRunCallback({ projectId, runId: moved, url: `${r.url}/moved` });
    expect(await settled(gone)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 410,
    });
    expect(await settled(busyRun)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(await settled(moved)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 302,
    });
    expect(r.got.some((g) => g.path === '/target')).toBe(false);
    await d.stop();
  });

  it('reports a cancelled run as aborted', async () => {
    const d = await dispatcher();
    const r = await receiver();
    const res = await h.call('POST', `${P}/runs`, { tags: ['slow'] });
    const runId = res.body.id as string;
    await d.registerRunCallback({ projectId, runId, url: r.url });
    expect((await h.store.outbox.list(projectId, { runId, limit: 5, offset: 0 })).total).toBe(0);
    expect((await h.call('POST', `${P}/runs/${runId}/cancel`)).status).toBe(200);
    expect(await settled(runId)).toMatchObject({ status: 'delivered' });
    expect(JSON.parse(r.got[0]!.body)).toMatchObject({ runId, status: 'aborted', total: 1 });
    await d.stop();
  });

  it('enqueues at start-up what a crash between finish and enqueue left behind', async () => {
    const r = await receiver();
    // No dispatcher runs: the run finishes with a callback registered and nothing enqueued.
    const runId = await finishedRun();
    await h.store.outbox.addCallback({ projectId, runId, url: r.url });
    expect((await h.store.outbox.list(projectId, { runId, limit: 5, offset: 0 })).total).toBe(0);
    const d = await dispatcher();
    expect(await settled(runId)).toMatchObject({ status: 'delivered' });
    expect(r.got).toHaveLength(1);
    await d.stop();
  });

  it('refuses a private target when registering, before any connection', async () => {
    const d = await dispatcher();
    const runId = await finishedRun();
    for (const url of ['http://169.254.169.254/latest', 'http://10.0.0.1/', 'file:///etc/passwd']) {
      const err = await d.registerRunCallback({ projectId, runId, url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('validation_failed');
    }
    expect(await h.store.outbox.callbacksAwaitingDelivery(runId)).toEqual([]);
    await d.stop();
  });
});

describe('delivery log API', () => {
  it('lists, shows attempts, redelivers — and never shows the secret', async () => {
    const d = await dispatcher();
    const r = await receiver();
    const runId = await finishedRun();
    await d.registerRunCallback({ projectId, runId, url: `${r.url}/cb?token=receiver-own-secret` });
    const first = await settled(runId);

    const list = await h.call('GET', `${P}/deliveries?runId=${runId}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expect(list.body.items[0]).toMatchObject({
      id: first.id,
      runId,
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 204,
      nextAttemptAt: null,
      event: 'run.finished',
      url: `${r.url}/cb?token=***`,
      payload: { runId, status: 'completed', passed: 1, failed: 0, total: 1, error: null },
    });
    const failedOnly = await h.call('GET', `${P}/deliveries?status=failed&limit=200`);
    expect(failedOnly.body.items.every((i: { status: string }) => i.status === 'failed')).toBe(
      true,
    );

    const item = await h.call('GET', `${P}/deliveries/${first.id}`);
    expect(item.status).toBe(200);
    expect(item.body.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 204, error: null }),
    ]);

    const again = await h.call('POST', `${P}/deliveries/${first.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ redeliveryOf: first.id, status: 'pending', attempts: 0 });
    await until(
      () => h.store.outbox.get(projectId, again.body.id),
      (x) => x?.status === 'delivered',
    );
    expect(r.got.filter((g) => g.valid)).toHaveLength(2);

    for (const text of [
      JSON.stringify(list.body),
      JSON.stringify(item.body),
      JSON.stringify(again.body),
    ]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('receiver-own-secret');
    }
    errorBody(await h.call('GET', `${P}/deliveries/nope`), 404, 'not_found');
    errorBody(await h.call('GET', `${P}/deliveries?status=weird`), 400, 'validation_failed');
    await d.stop();
  });

  it('lets a viewer read the log but not redeliver or rotate', async () => {
    const viewer = await createMember(h.store, { role: 'viewer' });
    const auth = { authorization: `Bearer ${viewer.apiKey}` };
    const list = await h.call('GET', `${P}/deliveries`, undefined, auth);
    expect(list.status).toBe(200);
    const id = list.body.items[0].id as string;
    errorBody(
      await h.call('POST', `${P}/deliveries/${id}/redeliver`, undefined, auth),
      403,
      'forbidden',
    );
    errorBody(
      await h.call('POST', `${P}/callback-secret/rotate`, undefined, auth),
      403,
      'forbidden',
    );
  });

  it('shows whether a secret exists and its prefix; rotating returns a new one once', async () => {
    const p = await h.call('POST', '/api/v1/projects', {
      name: 'No Secret',
      baseUrl: 'http://b.test',
    });
    const base = `/api/v1/projects/${p.body.slug}`;
    expect((await h.call('GET', `${base}/callback-secret`)).body).toEqual({
      exists: false,
      prefix: null,
      createdAt: null,
      rotatedAt: null,
    });
    const one = await h.call('POST', `${base}/callback-secret/rotate`);
    expect(one.status).toBe(200);
    expect(one.headers.get('cache-control')).toBe('no-store');
    expect(one.body.secret).toMatch(/^glcs_/);
    const state = await h.call('GET', `${base}/callback-secret`);
    expect(state.body).toMatchObject({ exists: true, prefix: one.body.prefix });
    expect(JSON.stringify(state.body)).not.toContain(one.body.secret);
    const two = await h.call('POST', `${base}/callback-secret/rotate`);
    expect(two.body.secret).not.toBe(one.body.secret);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    for (const path of [
      '/api/v1/projects/{id}/deliveries',
      '/api/v1/projects/{id}/deliveries/{deliveryId}',
      '/api/v1/projects/{id}/deliveries/{deliveryId}/redeliver',
      '/api/v1/projects/{id}/callback-secret',
      '/api/v1/projects/{id}/callback-secret/rotate',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});
