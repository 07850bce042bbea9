import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../src/domain/run.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { Notifier } from '../../src/integrations/notifications.ts';
import type { Delivery } from '../../src/store/outbox.ts';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp.ts';
import { startFakeSlack } from '../fakes/slack-webhook.ts';
import { startFakeTeams } from '../fakes/teams-webhook.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { passingExecutor, startHarness, type Harness } from './api-harness.ts';
import { freePort, startReceiver, until, type Receiver } from './callbacks-receiver.ts';

// Real SQLite, engine, outbox and dispatcher; local Slack/Teams fakes that check the documented
// payload shapes, a signature-verifying webhook receiver and a real SMTP server.

/** Projects whose `checkout` test fails in their next runs. */
const failing = new Set<string>();
const executor: TestExecutor = async (job) => {
  const out = await passingExecutor(job);
  if (job.test.name === 'checkout' && failing.has(job.run.projectId)) {
    return { ...out, status: 'failed', failedStep: 0, error: 'expected "Pay" to be visible\nat…' };
  }
  return out;
};

const PUBLIC = 'https://greenlight.example.test';
let h: Harness;
let smtp: FakeSmtp;
let dispatcher: CallbackDispatcher;
const closers: { close(): Promise<void> }[] = [];

async function newDispatcher(): Promise<CallbackDispatcher> {
  const d = new CallbackDispatcher({
    store: h.store,
    events: h.events,
    config: h.config,
    pollIntervalMs: 20,
    retry: { delaysMs: [100], maxAttempts: 50, jitter: 0 },
    attemptTimeoutMs: 3_000,
    kinds: [new Notifier({ store: h.store, config: h.config })],
  });
  await d.start();
  return d;
}

/** A project with a passing `home page` test and a `checkout` test; its secret for signatures. */
async function project(): Promise<{ id: string; slug: string; path: string; secret: string }> {
  const slug = `n-${randomUUID().slice(0, 8)}`;
  const p = await h.call('POST', '/api/v1/projects', {
    name: `Shop ${slug}`,
    slug,
    baseUrl: 'http://a.test',
  });
  expect(p.status).toBe(201);
  const path = `/api/v1/projects/${slug}`;
  for (const name of ['home page', 'checkout']) {
    const t = await h.call('POST', `${path}/tests`, {
      name,
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(t.status).toBe(201);
  }
  const rotated = await h.call('POST', `${path}/callback-secret/rotate`);
  return { id: p.body.id, slug, path, secret: rotated.body.secret };
}

async function channel(path: string, body: Record<string, unknown>): Promise<string> {
  const res = await h.call('POST', `${path}/notifications`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function run(path: string): Promise<string> {
  const res = await h.call('POST', `${path}/runs`, {});
  expect(res.status).toBe(202);
  await h.engine.waitForRun(res.body.id, { timeoutMs: 10_000 });
  return res.body.id;
}

/** The notification deliveries of a run once none is pending. */
async function settled(projectId: string, runId: string, count: number): Promise<Delivery[]> {
  const page = await until(
    () => h.store.outbox.list(projectId, { runId, limit: 50, offset: 0 }),
    (p) => p.items.length >= count && p.items.every((d) => d.status !== 'pending'),
  );
  return page.items;
}

beforeAll(async () => {
  smtp = await startFakeSmtp();
  h = await startHarness({
    executor,
    config: {
      allowPrivateUrls: ['loopback'],
      smtpUrl: smtp.url,
      smtpFrom: 'Greenlight CI <ci@greenlight.test>',
      publicUrl: PUBLIC,
    },
  });
  dispatcher = await newDispatcher();
});

afterAll(async () => {
  await dispatcher?.stop();
  for (const c of closers) await c.close();
  await h?.close();
  await smtp?.close();
});

const keep = <T extends { close(): Promise<void> }>(c: T): T => {
  closers.push(c);
  return c;
};

describe('notifications through the outbox', () => {
  it('tells Slack, Teams, a signed webhook and e-mail about a failed run, each in its format', async () => {
    const p = await project();
    failing.add(p.id);
    const slack = keep(await startFakeSlack());
    const teams = keep(await startFakeTeams());
    const hook: Receiver = keep(await startReceiver());
    hook.secret = p.secret;
    const failed = ['run.failed'];
    await channel(p.path, {
      name: 'slack',
      type: 'slack',
      events: failed,
      config: { webhookUrl: `${slack.url}/services/T0/B0/slacksecret` },
    });
    await channel(p.path, {
      name: 'teams',
      type: 'teams',
      events: failed,
      config: { webhookUrl: `${teams.url}/webhookb2/teamssecret` },
    });
    await channel(p.path, {
      name: 'hook',
      type: 'webhook',
      events: failed,
      config: { url: `${hook.url}/greenlight` },
    });
    await channel(p.path, {
      name: 'mail',
      type: 'email',
      events: failed,
      config: { to: ['qa@shop.test', 'dev@shop.test'] },
    });
    await channel(p.path, {
      name: 'only recovery',
      type: 'webhook',
      events: ['run.recovered'],
      config: { url: `${hook.url}/recovered` },
    });

    const runId = await run(p.path);
    const deliveries = await settled(p.id, runId, 4);
    expect(deliveries).toHaveLength(4);
    expect(deliveries.every((d) => d.status === 'delivered' && d.kind === 'notification')).toBe(
      true,
    );
    expect(deliveries.every((d) => d.event === 'run.failed')).toBe(true);
    // The delivery log never shows a webhook's secret path.
    expect(deliveries.map((d) => d.url).join(' ')).not.toMatch(/slacksecret|teamssecret/);
    const runUrl = `${PUBLIC}/projects/${p.id}/runs/${runId}`;
    const name = `Shop ${p.slug}`;

    expect(slack.problems).toEqual([]);
    expect(slack.messages).toHaveLength(1);
    expect(slack.got[0]?.path).toBe('/services/T0/B0/slacksecret');
    const sm = slack.messages[0]!;
    expect(sm.text).toContain(`${name}: run failed (1 of 2 tests failed)`);
    expect(sm.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context', 'actions']);
    expect(JSON.stringify(sm.blocks[1])).toContain('checkout');
    expect(JSON.stringify(sm.blocks[1])).toContain('expected \\"Pay\\" to be visible');
    const actions = sm.blocks[3];
    expect(actions?.type === 'actions' && actions.elements[0]?.url).toBe(runUrl);

    expect(teams.problems).toEqual([]);
    expect(teams.messages).toHaveLength(1);
    const card = teams.messages[0]!.attachments[0]!.content;
    expect(card.version).toBe('1.4');
    expect(JSON.stringify(card.body)).toContain('run failed (1 of 2 tests failed)');
    expect(card.actions?.[0]).toEqual({ type: 'Action.OpenUrl', title: 'Open run', url: runUrl });

    const signed = hook.got.filter((g) => g.path === '/greenlight');
    expect(signed).toHaveLength(1);
    expect(signed[0]!.valid).toBe(true);
    expect(signed[0]!.headers['x-greenlight-event']).toBe('run.failed');
    expect(JSON.parse(signed[0]!.body)).toEqual({
      event: 'run.failed',
      project: { id: p.id, slug: p.slug, name },
      run: { runId, status: 'failed', passed: 1, failed: 1, total: 2, error: expect.any(String) },
      url: runUrl,
      flaky: [],
    });
    expect(hook.got.filter((g) => g.path === '/recovered')).toHaveLength(0);

    await until(
      async () => smtp.mails.length,
      (n) => n >= 1,
    );
    const mail = smtp.mails.find((m) => m.subject.includes(name))!;
    expect(mail.from).toBe('ci@greenlight.test');
    expect(mail.to).toEqual(['qa@shop.test', 'dev@shop.test']);
    expect(mail.envelopeTo).toEqual(['qa@shop.test', 'dev@shop.test']);
    expect(mail.subject).toBe(`[Greenlight] ${name}: run failed (1 of 2 tests failed)`);
    expect(mail.text).toContain('- checkout — expected "Pay" to be visible');
    expect(mail.text).toContain(runUrl);
    expect(mail.html).toContain(`<a href="${runUrl}">Open run</a>`);
    expect(mail.html).toContain('expected &quot;Pay&quot; to be visible');
    failing.delete(p.id);
  });

  it('filters by event: a run.recovered channel hears nothing of a failure, once of the recovery', async () => {
    const p = await project();
    const hook = keep(await startReceiver());
    hook.secret = p.secret;
    await channel(p.path, {
      name: 'recovery',
      type: 'webhook',
      events: ['run.recovered'],
      config: { url: hook.url },
    });
    await channel(p.path, {
      name: 'all',
      type: 'webhook',
      events: ['run.finished'],
      config: { url: `${hook.url}/all` },
    });

    failing.add(p.id);
    const first = await run(p.path);
    await settled(p.id, first, 1);
    failing.delete(p.id);
    const second = await run(p.path);
    await settled(p.id, second, 2);
    const third = await run(p.path);
    await settled(p.id, third, 1);

    const recovered = hook.got.filter((g) => g.path === '/');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.valid).toBe(true);
    expect(JSON.parse(recovered[0]!.body)).toMatchObject({
      event: 'run.recovered',
      run: { runId: second, status: 'completed', passed: 2, failed: 0 },
    });
    const all = hook.got.filter((g) => g.path === '/all').map((g) => JSON.parse(g.body));
    expect(all.map((b) => [b.event, b.run.runId])).toEqual([
      ['run.finished', first],
      ['run.finished', second],
      ['run.finished', third],
    ]);
  });

  it('retries a channel that is down and delivers once it is back', async () => {
    const p = await project();
    const port = await freePort();
    await channel(p.path, {
      name: 'later',
      type: 'slack',
      events: ['run.finished'],
      config: { webhookUrl: `http://127.0.0.1:${port}/services/x/y/z` },
    });
    const runId = await run(p.path);
    await until(
      () => h.store.outbox.list(p.id, { runId, limit: 1, offset: 0 }),
      (pg) => (pg.items[0]?.attempts ?? 0) >= 2,
    );
    const slack = keep(await startFakeSlack(port));
    const [d] = await settled(p.id, runId, 1);
    expect(d).toMatchObject({ status: 'delivered', event: 'run.finished', lastStatusCode: 200 });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]!.text).toContain('run passed (2 of 2 tests passed)');
    const log = await h.store.outbox.attempts(d!.id);
    expect(log[0]?.error).toMatch(/ECONNREFUSED/);
    expect(log[log.length - 1]).toMatchObject({ statusCode: 200, error: null });
  });

  it('detects a test that passed on a retry as flaky', async () => {
    const p = await project();
    const hook = keep(await startReceiver());
    hook.secret = p.secret;
    await channel(p.path, {
      name: 'flaky',
      type: 'webhook',
      events: ['flaky.detected'],
      config: { url: hook.url },
    });
    // The engine does not retry yet: write the rows a retrying engine would leave.
    const runId = await flakyRun(p.id);
    h.events.publish({
      type: 'run.finished',
      runId,
      projectId: p.id,
      at: new Date().toISOString(),
    });
    await settled(p.id, runId, 1);
    expect(hook.got).toHaveLength(1);
    const body = JSON.parse(hook.got[0]!.body);
    expect(body.event).toBe('flaky.detected');
    expect(body.flaky).toEqual([{ testId: expect.any(String), testName: 'checkout', attempt: 2 }]);
  });

  it('enqueues at start-up what finished while no dispatcher ran, exactly once', async () => {
    const p = await project();
    const slack = keep(await startFakeSlack());
    await channel(p.path, {
      name: 's',
      type: 'slack',
      events: ['run.finished'],
      config: { webhookUrl: `${slack.url}/services/a/b/c` },
    });
    await dispatcher.stop();
    const runId = await run(p.path);
    expect((await h.store.outbox.list(p.id, { runId, limit: 5, offset: 0 })).total).toBe(0);
    dispatcher = await newDispatcher();
    await settled(p.id, runId, 1);
    await dispatcher.drain();
    expect(slack.messages).toHaveLength(1);
    expect((await h.store.outbox.list(p.id, { runId, limit: 5, offset: 0 })).total).toBe(1);
  });
});

/** A finished passed run whose `checkout` passed on attempt 2 (attempt 1 failed). */
async function flakyRun(projectId: string): Promise<string> {
  const tests = (await h.store.tests.list(projectId, { limit: 10, offset: 0 })).items;
  const at = new Date().toISOString();
  const run = makeRun(
    projectId,
    tests.map((t) => t.id),
    { status: 'running', baseUrl: 'http://a.test', createdAt: at, startedAt: at },
  );
  const runId = run.id;
  await h.store.runs.create(run);
  // One result per test and run: the last attempt's. `checkout` passed on its second attempt.
  const attempts = tests.map((t) => [t.id, 'passed', t.name === 'checkout' ? 2 : 1] as const);
  for (const [testId, status, attempt] of attempts) {
    const name = tests.find((t) => t.id === testId)!.name;
    await h.store.results.insert(
      projectId,
      makeResult(runId, testId, {
        testName: name,
        status,
        attempt,
        durationMs: 5,
        startedAt: at,
        finishedAt: at,
      }),
    );
  }
  await h.store.runs.finish(runId, {
    status: 'passed',
    error: null,
    counts: { ...emptyCounts(tests.length), passed: tests.length },
    finishedAt: new Date().toISOString(),
  });
  return runId;
}
