import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type ApiDeps } from '../../src/api/app.ts';
import { startServer } from '../../src/api/server.ts';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { CrawlService, type CrawlServiceDeps } from '../../src/crawl/crawl-service.ts';
import { defined } from '../../src/domain/defined.ts';
import { startApiServices } from '../../src/engine/api-services.ts';
import type { ArtifactSettings } from '../../src/engine/artifact-settings.ts';
import { CrawlPhases } from '../../src/engine/crawl-phase.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { ExecutorJob, TestExecutor, TestOutcome } from '../../src/engine/executor.ts';
import type { RunStream } from '../../src/engine/run-stream.ts';
import { InProcessEventBus, type EventBus } from '../../src/events/event-bus.ts';
import type { Broadcast } from '../../src/events/shared-event-bus.ts';
import {
  CallbackDispatcher,
  type CallbackDispatcherOptions,
} from '../../src/integrations/callbacks.ts';
import { PrFeedback, type PrFeedbackOptions } from '../../src/integrations/pr-feedback.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { ArtifactStore } from '../../src/store/artifacts/artifact-store.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { storeOptions } from '../../src/store/secret-key.ts';

// One Greenlight API process for a test: store, queue, engine, event bus, the API's background
// services and the app listening on 127.0.0.1, with whatever else a test needs beside them
// (callbacks, PR feedback, crawls), and one close() that stops them in the reverse order.

/** A one-step outcome of `job`: passed, or failed at its step with `error`. */
export function cannedOutcome(job: ExecutorJob, error: string | null, durationMs = 1): TestOutcome {
  const at = new Date().toISOString();
  const status = error === null ? 'passed' : 'failed';
  return {
    testId: job.test.id,
    testName: job.test.name,
    status,
    durationMs,
    failedStep: error === null ? null : 0,
    error,
    steps: [{ index: 0, action: 'goto', description: 'go to /', status, durationMs }],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: at,
    finishedAt: at,
  };
}

/** A canned passing outcome: the engine's executor boundary, without a browser. */
export const passingExecutor: TestExecutor = async (job) => cannedOutcome(job, null);

type Owned = 'store' | 'events' | 'config';

export interface TestApiOptions {
  /** Overrides of the defaults: 127.0.0.1 on port 0, rate limits off, logs silent. */
  config?: Partial<Config>;
  /** What the engine runs a test with (default: every test passes). */
  executor?: TestExecutor;
  /**
   * A store already open, and the folder to use as data dir; the caller closes it after
   * `close()`. Default: a SQLite file in a new temp folder, both removed by `close()`.
   */
  store?: { store: Store; dir: string; databaseUrl: string };
  /** The run event bus (default: a new in-process one). */
  events?: EventBus;
  /** On PostgreSQL, the channel of run-log notices shared with other processes (none: local). */
  streamChannel?: Broadcast;
  /** false: the engine is built but not started, so its runs stay queued. */
  startEngine?: boolean;
  /** Tests the engine executes at once (default 2). */
  workers?: number;
  /** How often the queue polls for jobs (default 50 ms). */
  pollIntervalMs?: number;
  /** Artifact limits, retention and video support of the engine. */
  artifacts?: ArtifactSettings;
  /** Where artifacts go (default: files below the data dir); closed by `close()`. */
  artifactStore?: ArtifactStore;
  /** The logger of the app, the engine and PR feedback (default: none). */
  logger?: Logger;
  /** Start a callback dispatcher (fast retries unless overridden) and hand it to the app. */
  callbacks?: Partial<Omit<CallbackDispatcherOptions, Owned>>;
  /** Start the PR-feedback listener and hand it to the app. */
  feedback?: Partial<Omit<PrFeedbackOptions, Owned>>;
  /** Crawls on real Chromium, with the crawl phases of runs unless `phases` is false. */
  crawls?: { phases?: boolean; afterCrawl?: CrawlServiceDeps['afterCrawl'] };
  /** Further dependencies of the app. */
  app?: Partial<Pick<ApiDeps, 'sseHeartbeatMs' | 'live' | 'webDist'>>;
}

export interface TestApi<E extends EventBus = EventBus> {
  url: string;
  app: FastifyInstance;
  config: Config;
  store: Store;
  events: E;
  queue: LocalQueue;
  engine: Engine;
  /** The run event log the live streams read. */
  runStream: RunStream;
  callbacks?: CallbackDispatcher;
  feedback?: PrFeedback;
  /** Stops everything started here in the reverse order; removes the temp folder it made. */
  close(): Promise<void>;
}

/** A real API on 127.0.0.1 with the parts a test asked for. */
export function startTestApi(opts?: TestApiOptions): Promise<TestApi<InProcessEventBus>>;
export function startTestApi<E extends EventBus>(
  opts: TestApiOptions & { events: E },
): Promise<TestApi<E>>;
export async function startTestApi(opts: TestApiOptions = {}): Promise<TestApi> {
  // Each part pushes how to stop it once started: close() runs them last first.
  const stops: (() => unknown)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const dir = opts.store?.dir ?? mkdtempSync(join(tmpdir(), 'gl-api-'));
    if (!opts.store) stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = loadConfig(
      {},
      {
        dataDir: dir,
        databaseUrl: opts.store?.databaseUrl ?? `sqlite:${join(dir, 'greenlight.db')}`,
        host: '127.0.0.1',
        port: 0,
        // Suites make many calls from 127.0.0.1; rate-limit tests turn limits on themselves.
        rateLimit: 'off',
        logLevel: 'silent',
        ...opts.config,
      },
    );
    const store = opts.store?.store ?? (await openStore(storeOptions(config)));
    if (!opts.store) stops.push(() => store.close());
    if (opts.artifactStore) stops.push(() => opts.artifactStore?.close());
    const events = opts.events ?? new InProcessEventBus();
    const queue = new LocalQueue(store, { pollIntervalMs: opts.pollIntervalMs ?? 50 });
    stops.push(() => queue.close());
    const engine = new Engine({
      store,
      queue,
      events,
      executor: opts.executor ?? passingExecutor,
      dataDir: dir,
      workers: opts.workers ?? 2,
      stopGraceMs: 200,
      ...defined({
        artifacts: opts.artifacts,
        artifactStore: opts.artifactStore,
        logger: opts.logger,
        streamChannel: opts.streamChannel,
      }),
    });
    stops.push(() => engine.stop());
    if (opts.startEngine !== false) await engine.start();
    const extra = await startExtras(opts, { store, events, engine, config }, stops);
    const services = await startApiServices({ store, events, runLog: engine.runLog });
    stops.push(() => services.stop());
    const app = await buildApp({
      runStream: services.runStream,
      store,
      engine,
      events,
      config,
      logger: opts.logger ?? false,
      ...opts.app,
      ...extra,
    });
    stops.push(async () => {
      // Open streams end on their own first (tests check that); after 2 s, as `serve` does after
      // its drain, connections still busy are cut: a client that left a response unread keeps
      // its connection busy and app.close() alone waits for it (one such test hung 60 s).
      const closed = app.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000).unref())]);
      app.server.closeAllConnections();
      await closed;
    });
    const url = await startServer(app, config);
    return {
      url,
      app,
      config,
      store,
      events,
      queue,
      engine,
      runStream: services.runStream,
      ...defined({ callbacks: extra.callbacks, feedback: extra.feedback }),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

interface Extras {
  callbacks?: CallbackDispatcher;
  feedback?: PrFeedback;
  crawls?: CrawlService;
  crawlPhases?: true;
}

/** The optional parts beside the engine, started; what the app is to be given of them. */
async function startExtras(
  opts: TestApiOptions,
  core: { store: Store; events: EventBus; engine: Engine; config: Config },
  stops: (() => unknown)[],
): Promise<Extras> {
  const { store, events, engine, config } = core;
  const logger = opts.logger;
  const out: Extras = {};
  if (opts.callbacks) {
    const callbacks = new CallbackDispatcher({
      store,
      events,
      config,
      pollIntervalMs: 50,
      retry: { delaysMs: [50, 100], maxAttempts: 3, jitter: 0 },
      ...defined({ logger }),
      ...opts.callbacks,
    });
    await callbacks.start();
    stops.push(() => callbacks.stop());
    out.callbacks = callbacks;
  }
  if (opts.feedback) {
    const feedback = new PrFeedback({
      store,
      events,
      config,
      ...defined({ logger }),
      ...opts.feedback,
    });
    feedback.start();
    stops.push(() => feedback.stop());
    out.feedback = feedback;
  }
  if (opts.crawls) {
    const pool = new BrowserPool({
      chromiumPath: config.chromiumPath,
      browserWs: config.browserWs,
    });
    stops.push(() => pool.close());
    const { afterCrawl, phases = true } = opts.crawls;
    const crawls = new CrawlService({ store, pool, config, ...defined({ afterCrawl, logger }) });
    stops.push(() => crawls.close());
    out.crawls = crawls;
    if (phases) {
      const runner = new CrawlPhases({ store, events, engine, crawler: crawls, pollMs: 200 });
      runner.start();
      stops.push(() => runner.stop());
      out.crawlPhases = true;
    }
  }
  return out;
}
