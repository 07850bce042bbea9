import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { passingExecutor, startHarness, type Harness } from '../integration/api-harness.ts';
import {
  freePort,
  startReceiver,
  until,
  type Received,
  type Receiver,
} from '../integration/callbacks-receiver.ts';
import { fullReliability } from './reliability-env.ts';

// A CI callback receiver that is down for a while, then comes back unsteady (503 to its first
// requests) before it answers 204: every run's summary is retried through the outage and
// delivered exactly once, with two dispatchers (two Greenlight processes) on the one outbox
// racing for the same deliveries. Real HTTP on 127.0.0.1, a real store, real signatures.

const RUNS = fullReliability() ? 20 : 5;
let h: Harness;
let secret: string;
const P = '/api/v1/projects/outage';
const dispatchers: CallbackDispatcher[] = [];
let receiver: Receiver | undefined;

beforeAll(async () => {
  h = await startHarness({
    executor: passingExecutor,
    config: { allowPrivateUrls: ['loopback'] },
  });
  const p = await h.call('POST', '/api/v1/projects', { name: 'Outage', baseUrl: 'http://a.test' });
  expect(p.status).toBe(201);
  const t = await h.call('POST', `${P}/tests`, {
    name: 'passes',
    status: 'approved',
    steps: [{ goto: '/' }],
  });
  expect(t.status).toBe(201);
  const rotated = await h.call('POST', `${P}/callback-secret/rotate`);
  expect(rotated.status).toBe(200);
  secret = rotated.body.secret;
});

afterAll(async () => {
  for (const d of dispatchers) await d.stop();
  await receiver?.close();
  await h?.close();
});

it(`delivers each of ${RUNS} run summaries once after the receiver was down, then unsteady`, async () => {
  for (let i = 0; i < 2; i++) {
    const d = new CallbackDispatcher({
      store: h.store,
      events: h.events,
      config: h.config,
      pollIntervalMs: 20,
      retry: { delaysMs: [50, 100, 200], maxAttempts: 100, jitter: 0 },
      attemptTimeoutMs: 5_000,
    });
    dispatchers.push(d);
    await d.start();
  }
  const port = await freePort();
  const projectId = (await h.store.projects.get('outage'))!.id;
  const runIds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const res = await h.call('POST', `${P}/runs`, {});
    expect(res.status).toBe(202);
    const runId = res.body.id as string;
    await h.engine.waitForRun(runId, { timeoutMs: 30_000 });
    // Each run registered through one or the other process.
    await dispatchers[i % 2]!.registerRunCallback({
      projectId,
      runId,
      url: `http://127.0.0.1:${port}/ci/${runId}`,
    });
    runIds.push(runId);
  }
  // Down: every delivery is refused at least twice before the receiver comes back.
  const attemptsOf = async (): Promise<number[]> =>
    Promise.all(
      runIds.map(
        async (runId) =>
          (await h.store.outbox.list(projectId, { runId, limit: 1, offset: 0 })).items[0]
            ?.attempts ?? 0,
      ),
    );
  await until(attemptsOf, (a) => a.every((n) => n >= 2), 30_000);

  // Back, unsteady: the first requests get 503 (retryable), the rest are accepted.
  let unsteady = RUNS;
  const accepted: Received[] = [];
  receiver = await startReceiver((r: Received, res: ServerResponse) => {
    if (unsteady > 0) {
      unsteady--;
      res.statusCode = 503;
    } else {
      res.statusCode = r.valid ? 204 : 401;
      if (r.valid) accepted.push(r);
    }
    res.end();
  }, port);
  receiver.secret = secret;

  const deliveries = await until(
    () => h.store.outbox.list(projectId, { limit: 100, offset: 0 }),
    (p) => p.items.length === RUNS && p.items.every((d) => d.status !== 'pending'),
    60_000,
  );
  expect(deliveries.items.every((d) => d.status === 'delivered')).toBe(true);
  expect(receiver.got.every((g) => g.valid)).toBe(true);
  // Exactly one accepted POST per run, carrying that run's summary.
  expect(accepted.map((a) => a.path).sort()).toEqual(runIds.map((id) => `/ci/${id}`).sort());
  for (const a of accepted) {
    const body = JSON.parse(a.body) as { runId: string; status: string };
    expect(a.path).toBe(`/ci/${body.runId}`);
    expect(body.status).toBe('completed');
  }
  // Every delivery's log: refused while down, then the 204 last, nothing after it.
  for (const d of deliveries.items) {
    const log = await h.store.outbox.attempts(d.id);
    expect(log.length).toBeGreaterThanOrEqual(3);
    expect(log[0]?.error).toMatch(/ECONNREFUSED/);
    expect(log.filter((a) => a.statusCode === 204)).toHaveLength(1);
    expect(log.at(-1)).toMatchObject({ statusCode: 204, error: null });
  }
});
