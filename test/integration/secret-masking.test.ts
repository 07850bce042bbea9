import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { MASK } from '../../src/domain/secret-masker.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { Notifier } from '../../src/integrations/notifications.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-webhook.ts';
import { startFakeTeams, type FakeTeams } from '../fakes/teams-webhook.ts';
import { newProject } from '../fixtures/engine/test-stores.ts';
import { startEchoSite, type EchoSite } from '../fixtures/secrets/echo-site.ts';
import { encodingsOf, hostileSecrets } from '../fixtures/secrets/hostile-secrets.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { startHarness, type Harness } from './api-harness.ts';
import { until } from './callbacks-receiver.ts';

// A real Chromium run types a hostile secret into a form, posts it (form, JSON, query), sees it
// echoed back and in the console, and fails with it in the error. No encoding of the secret may
// reach any surface: results, SSE, the five reports, the database, Slack and Teams.

const generated = hostileSecrets();
/** The all-characters secret, and one more with a different order and an emoji. */
const SECRETS = [generated[generated.length - 1]!, `p@ss "w0rd"\\/&<'+%é密🔑 x`];

const steps = [
  { goto: '/' },
  { request: { method: 'POST', url: '/api/echo', json: { password: '{{SECRET}}' } } },
  { request: { url: '/api/echo?q={{SECRET}}' } },
  { fill: { label: 'Password' }, value: '{{SECRET}}' },
  { click: { role: 'button', name: 'Send form' } },
  { goto: '/echo?q={{SECRET}}' },
  { expect: { text: { locator: '#out', equals: '{{SECRET}}-nope' } }, timeout: 1_500 },
];

let site: EchoSite;
let pool: BrowserPool;
beforeAll(async () => {
  site = await startEchoSite();
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
});
afterAll(async () => {
  await pool?.close();
  await site?.close();
});

/** Fails naming the surface and the encoding found, never printing more than needed. */
function expectClean(surface: string, text: string, secret: string): void {
  for (const form of encodingsOf(secret)) {
    expect(text.includes(form), `${surface} holds ${JSON.stringify(form)}`).toBe(false);
  }
}

describe('secret masking through a real Chromium run (SQLite, API, notifications)', () => {
  let h: Harness;
  let dispatcher: CallbackDispatcher;
  let slack: FakeSlack;
  let teams: FakeTeams;
  const chromium: TestExecutor = (job) =>
    chromiumExecutor(pool, resolve(job.artifactsDir, '../../..'))(job);

  beforeAll(async () => {
    h = await startHarness({ executor: chromium, config: { allowPrivateUrls: ['loopback'] } });
    dispatcher = new CallbackDispatcher({
      store: h.store,
      events: h.events,
      config: h.config,
      pollIntervalMs: 20,
      retry: { delaysMs: [100], maxAttempts: 5, jitter: 0 },
      attemptTimeoutMs: 3_000,
      kinds: [new Notifier({ store: h.store, config: h.config })],
    });
    await dispatcher.start();
    slack = await startFakeSlack();
    teams = await startFakeTeams();
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await slack?.close();
    await teams?.close();
    await h?.close();
  });

  it.each(SECRETS.map((s, i) => [i, s] as const))('secret %i leaks nowhere', async (i, secret) => {
    const slug = `mask-${i}`;
    const path = `/api/v1/projects/${slug}`;
    const p = await h.call('POST', '/api/v1/projects', {
      name: `Mask ${i}`,
      slug,
      baseUrl: site.url,
    });
    expect(p.status).toBe(201);
    const env = await h.call('PUT', `${path}/environments/default`, {
      variables: {},
      secrets: { SECRET: secret },
    });
    expect(env.status, JSON.stringify(env.body)).toBe(201);
    const t = await h.call('POST', `${path}/tests`, { name: 'sign in', status: 'approved', steps });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    for (const type of ['slack', 'teams'] as const) {
      const fake = type === 'slack' ? slack : teams;
      const suffix = type === 'slack' ? '/services/T0/B0/x' : '/webhookb2/x';
      const c = await h.call('POST', `${path}/notifications`, {
        name: type,
        type,
        events: ['run.failed'],
        config: { webhookUrl: `${fake.url}${suffix}${i}` },
      });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
    }

    const before = [slack.got.length, teams.got.length] as const;
    const started = await h.call('POST', `${path}/runs`, {});
    expect(started.status).toBe(202);
    const runId: string = started.body.id;
    // Live, from the start: the stream ends itself after `done`.
    const live = fetch(`${h.url}/api/v1/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${h.admin.apiKey}` },
    }).then((r) => r.text());
    await h.engine.waitForRun(runId, { timeoutMs: 60_000 });
    const stream = await live;

    // The secret really travelled: the site got it raw and encoded.
    const seen = site.seen.join('\n');
    expect(seen).toContain(JSON.stringify(secret).slice(1, -1));
    expect(seen).toContain(new URLSearchParams({ password: secret }).toString());

    const results = await h.call('GET', `/api/v1/runs/${runId}/results`);
    expect(results.status).toBe(200);
    const resultsText = JSON.stringify(results.body);
    expect(resultsText).toContain(MASK);
    expect(resultsText).toContain('failed');
    expectClean('GET results', resultsText, secret);
    expectClean(
      'GET run',
      JSON.stringify((await h.call('GET', `/api/v1/runs/${runId}`)).body),
      secret,
    );

    expect(stream).toContain('event: result');
    expectClean('SSE', stream, secret);

    for (const format of ['json', 'junit', 'sarif', 'html', 'markdown']) {
      const r = await h.call('GET', `/api/v1/runs/${runId}/report?format=${format}`);
      expect(r.status, format).toBe(200);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      expectClean(`${format} report`, text, secret);
    }

    await until(
      async () => [slack.got.length, teams.got.length],
      ([s, t]) => s! > before[0] && t! > before[1],
    );
    expect(slack.problems).toEqual([]);
    expect(teams.problems).toEqual([]);
    expectClean('Slack', slack.got.map((g) => g.body).join('\n'), secret);
    expectClean('Teams', teams.got.map((g) => g.body).join('\n'), secret);

    const db = join(h.config.dataDir, 'greenlight.db');
    const bytes = [db, `${db}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n');
    // The file is bytes: look for the UTF-8 bytes of each encoding.
    for (const form of encodingsOf(secret)) {
      const asBytes = Buffer.from(form, 'utf8').toString('latin1');
      expect(bytes.includes(asBytes), `SQLite file holds ${JSON.stringify(form)}`).toBe(false);
    }
  });
});

describe('secret masking through a real Chromium run (PostgreSQL rows)', () => {
  afterAll(stopEngines);

  it('stores no encoding of the secret in any row', async () => {
    const secret = SECRETS[0]!;
    const chromium: TestExecutor = (job) =>
      chromiumExecutor(pool, resolve(job.artifactsDir, '../../..'))(job);
    const { store, engine } = await startEngine('postgres', chromium);
    const p = await newProject(store);
    await store.environments.upsert(p.id, {
      name: 'default',
      baseUrl: null,
      variables: { SECRET: secret },
      secretNames: ['SECRET'],
    });
    await store.tests.create(p.id, parseTestDocument({ name: 'sign in', steps }), {
      source: 'api',
      status: 'approved',
    });
    const run = await engine.createRun(p.id, {
      trigger: { source: 'api', actor: 'test' },
      baseUrl: site.url,
      environment: 'default',
    });
    const done = await engine.waitForRun(run.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('failed');
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = current_schema()`.execute(
      store.db,
    );
    expect(tables.rows.length).toBeGreaterThan(5);
    let dump = '';
    for (const { table_name } of tables.rows) {
      const rows = await sql`select * from ${sql.table(table_name)}`.execute(store.db);
      dump += JSON.stringify(rows.rows);
    }
    expect(dump).toContain(MASK);
    // The dump is JSON: a raw secret in a row shows as its JSON-escaped form, also checked.
    expectClean('PostgreSQL rows', dump, secret);
  });
});
