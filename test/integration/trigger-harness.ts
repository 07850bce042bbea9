import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { startApiServices } from '../../src/engine/api-services.ts';
import { startServer } from '../../src/api/server.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { ExecutorJob, TestExecutor, TestOutcome } from '../../src/engine/executor.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { CallbackDispatcher } from '../../src/integrations/callbacks.ts';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { CrawlService } from '../../src/crawl/crawl-service.ts';
import { CrawlPhases } from '../../src/engine/crawl-phase.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { storeOptions } from '../../src/store/secret-key.ts';
import type { ApiResponse } from './api-harness.ts';
import { createAdmin, createTriggerToken, type TestUser } from './auth-helpers.ts';

// A real server on 127.0.0.1 for the CI trigger tests: SQLite, the engine, the callback
// dispatcher, and an executor scripted by test name — `pass …` passes, `fail …` fails, `gate …`
// waits for `openGate()` (or the run's cancellation), `throw …` could not run.

export interface TriggerHarness {
  url: string;
  app: FastifyInstance;
  store: Store;
  engine: Engine;
  events: InProcessEventBus;
  config: Config;
  admin: TestUser;
  /** Every execution the scripted executor got, in order (what a test saw of its run). */
  executions: ExecutorJob[];
  /** Let every `gate …` test waiting now (and later, until closeGate) pass. */
  openGate(): void;
  closeGate(): void;
  /** A project with approved tests named as given (`suite/name` puts the test in a suite). */
  project(slug: string, tests: string[]): Promise<{ id: string; slug: string; token: string }>;
  /** One request with no credentials unless given. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    init?: RequestInit,
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

function newGate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export async function startTriggerHarness(
  overrides: Partial<Config> = {},
  opts: {
    withCallbacks?: boolean;
    /** Crawl phases on real Chromium (CrawlService + CrawlPhases), as `greenlight serve` has. */
    withCrawls?: boolean;
    /** Called in the executor before each test runs (to check what is true at that moment). */
    beforeTest?: (job: ExecutorJob) => Promise<void>;
  } = {},
): Promise<TriggerHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-trigger-'));
  const config = loadConfig(
    {},
    {
      dataDir: dir,
      databaseUrl: `sqlite:${join(dir, 'greenlight.db')}`,
      host: '127.0.0.1',
      port: 0,
      rateLimit: 'off',
      logLevel: 'silent',
      ...overrides,
    },
  );
  const store = await openStore(storeOptions(config));
  const admin = await createAdmin(store);
  const events = new InProcessEventBus();
  const queue = new LocalQueue(store, { pollIntervalMs: 25 });

  let gate = newGate();
  const executions: ExecutorJob[] = [];
  const executor: TestExecutor = async (job) => {
    executions.push(job);
    await opts.beforeTest?.(job);
    const name = job.test.name;
    if (name.startsWith('gate')) {
      await new Promise<void>((resolve, reject) => {
        if (job.signal.aborted) return reject(new Error('aborted'));
        job.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        void gate.promise.then(resolve);
      });
    }
    if (name.startsWith('throw')) throw new Error('browser crashed');
    const at = new Date().toISOString();
    const failed = name.startsWith('fail');
    const outcome: TestOutcome = {
      testId: job.test.id,
      testName: name,
      status: failed ? 'failed' : 'passed',
      durationMs: 1,
      failedStep: failed ? 0 : null,
      error: failed ? 'expected heading "Welcome"' : null,
      steps: [
        {
          index: 0,
          action: 'goto',
          description: 'go to /',
          status: failed ? 'failed' : 'passed',
          durationMs: 1,
        },
      ],
      consoleErrors: [],
      failedRequests: [],
      artifacts: {},
      startedAt: at,
      finishedAt: at,
    };
    return outcome;
  };

  const engine = new Engine({
    store,
    queue,
    events,
    executor,
    dataDir: dir,
    workers: 2,
    stopGraceMs: 200,
  });
  await engine.start();
  const callbacks = opts.withCallbacks
    ? new CallbackDispatcher({
        store,
        events,
        config,
        pollIntervalMs: 50,
        retry: { delaysMs: [50, 100], maxAttempts: 3, jitter: 0 },
      })
    : undefined;
  await callbacks?.start();
  const pool = opts.withCrawls
    ? new BrowserPool({ chromiumPath: config.chromiumPath, browserWs: config.browserWs })
    : undefined;
  const crawls = pool ? new CrawlService({ store, pool, config }) : undefined;
  const phases = crawls
    ? new CrawlPhases({ store, events, engine, crawler: crawls, pollMs: 200 })
    : undefined;
  phases?.start();
  const services = await startApiServices({ store, events });
  const app = await buildApp({
    runStream: services.runStream,
    store,
    engine,
    events,
    config,
    logger: false,
    ...(callbacks ? { callbacks } : {}),
    ...(crawls ? { crawls, crawlPhases: true } : {}),
  });
  const url = await startServer(app, config);

  const call: TriggerHarness['call'] = async (method, path, body, headers = {}, init = {}) => {
    const req: RequestInit = { method, redirect: 'manual', ...init, headers: { ...headers } };
    if (body !== undefined) {
      req.body = typeof body === 'string' ? body : JSON.stringify(body);
      (req.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(path.startsWith('http') ? path : url + path, req);
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
  };

  const project: TriggerHarness['project'] = (slug, tests) =>
    seedProject(call, store, admin.apiKey, slug, tests);

  return {
    url,
    app,
    store,
    engine,
    events,
    config,
    admin,
    executions,
    openGate: () => gate.resolve(),
    closeGate: () => {
      gate = newGate();
    },
    project,
    call,
    async close() {
      await app.close();
      services.stop();
      await phases?.stop();
      await crawls?.close();
      await pool?.close();
      await callbacks?.stop();
      await engine.stop();
      await queue.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll a status URL the way seed 000's job does (bounded), until `status` is not running. */
export async function pollUntilDone(
  h: TriggerHarness,
  statusUrl: string,
  token: string,
  field = 'status',
  running = ['running'],
): Promise<ApiResponse> {
  for (let i = 0; i < 400; i++) {
    const res = await h.call('GET', statusUrl, undefined, { authorization: `Bearer ${token}` });
    if (res.status !== 200 || !running.includes(res.body[field])) return res;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`still ${running.join('/')} after polling ${statusUrl}`);
}

/**
 * A project created over the API with approved tests named as given (`suite/name` puts the test
 * in a suite), and a trigger token for it. Shared by the trigger and PR-feedback harnesses.
 */
export async function seedProject(
  call: TriggerHarness['call'],
  store: Store,
  adminKey: string,
  slug: string,
  tests: string[],
  name = slug,
): Promise<{ id: string; slug: string; token: string }> {
  const asAdmin = { authorization: `Bearer ${adminKey}` };
  const created = await call(
    'POST',
    '/api/v1/projects',
    { name, slug, baseUrl: 'http://app.invalid' },
    asAdmin,
  );
  if (created.status !== 201) throw new Error(`project: ${JSON.stringify(created.body)}`);
  for (const t of tests) {
    const [suite, testName] = t.includes('/') ? t.split('/', 2) : [undefined, t];
    const res = await call(
      'POST',
      `/api/v1/projects/${slug}/tests`,
      { name: testName, ...(suite ? { suite } : {}), status: 'approved', steps: [{ goto: '/' }] },
      asAdmin,
    );
    if (res.status !== 201) throw new Error(`test: ${JSON.stringify(res.body)}`);
  }
  const id = created.body.id as string;
  return { id, slug, token: await createTriggerToken(store, id) };
}
