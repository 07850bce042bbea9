import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { ExecutorJob, TestExecutor } from '../../src/engine/executor.ts';
import type { InProcessEventBus } from '../../src/events/event-bus.ts';
import type { Store } from '../../src/store/connect.ts';
import { apiCaller, type ApiCall, type ApiResponse } from '../helpers/api-call.ts';
import { cannedOutcome, startTestApi } from '../helpers/test-api.ts';
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
  /** One request with no credentials unless given; redirects are answered, not followed. */
  call: ApiCall;
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
    return cannedOutcome(job, name.startsWith('fail') ? 'expected heading "Welcome"' : null);
  };

  const api = await startTestApi({
    config: overrides,
    executor,
    pollIntervalMs: 25,
    ...(opts.withCallbacks ? { callbacks: {} } : {}),
    ...(opts.withCrawls ? { crawls: {} } : {}),
  });
  const admin = await createAdmin(api.store);
  const call = apiCaller(api.url, { redirect: 'manual' });
  return {
    ...api,
    admin,
    executions,
    openGate: () => gate.resolve(),
    closeGate: () => {
      gate = newGate();
    },
    project: (slug, tests) => seedProject(call, api.store, admin.apiKey, slug, tests),
    call,
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
  call: ApiCall,
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
