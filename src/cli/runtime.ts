import { pino, type Logger } from 'pino';
import { SECRET_LOG_PATHS, type Config } from '../config.ts';
import { BrowserPool } from '../browser/browser-pool.ts';
import { EgressProxy } from '../browser/egress-proxy.ts';
import { egressCheck } from '../integrations/ssrf.ts';
import { artifactSettingsFrom } from '../engine/artifact-settings.ts';
import { chromiumExecutor } from '../engine/chromium-executor.ts';
import { defined } from '../domain/defined.ts';
import { Engine } from '../engine/engine.ts';
import { LiveFeed, watchEverywhere } from '../engine/live-feed.ts';
import { LivePublisher } from '../engine/live-publisher.ts';
import { LiveView, type LiveWatching } from '../engine/live-view.ts';
import { ProcessLeaseKeeper, newProcessId } from '../engine/process-lease.ts';
import { InProcessEventBus, type EventBus } from '../events/event-bus.ts';
import { SharedEventBus } from '../events/shared-event-bus.ts';
import { LocalQueue } from '../queue/local-queue.ts';
import { openArtifactStore } from '../store/artifacts/open.ts';
import { openStore, type Store } from '../store/connect.ts';
import { PgBroadcast, type BroadcastChannel } from '../store/pg-broadcast.ts';
import { storeOptions } from '../store/secret-key.ts';

/** The wired-up parts of one Greenlight process. */
export interface Runtime {
  config: Config;
  /** Every line carries `processId` (see `processId` below). */
  logger: Logger;
  /**
   * This process among all on the database (host:pid:random): in every log line, and the owner
   * recorded on the crawls and scans it runs, kept alive by a lease in `process_leases`.
   */
  processId: string;
  store: Store;
  /** In-process on SQLite; shared by every process on the database on PostgreSQL. */
  events: EventBus;
  engine: Engine;
  pool: BrowserPool;
  /** Screencasts of this process's running tests, for live-view watchers. */
  live: LiveView;
  /**
   * What the live view's watchers use: `live` on SQLite; on PostgreSQL also the frames of tests
   * other processes run (engine/live-feed.ts).
   */
  watching: LiveWatching;
  /**
   * Stop taking jobs; running tests get `config.stopGraceMs` to finish, the rest are aborted and
   * handed back to the queue (another process runs them). Resolves when no test runs here.
   */
  drain(): Promise<void>;
  /** Drain, then close the browsers, the event channel and the store. */
  close(): Promise<void>;
}

/** Logs go to stderr so command output on stdout stays clean. */
function createLogger(config: Config, level?: string): Logger {
  return pino(
    {
      level: level ?? config.logLevel,
      redact: SECRET_LOG_PATHS,
    },
    pino.destination(2),
  );
}

/**
 * On PostgreSQL, this process's one LISTEN/NOTIFY connection (store/pg-broadcast.ts). It carries
 * the run events every process shares (so a server sees the events of runs a worker executes),
 * the queue's wake-ups (a job queued by any process wakes the idle workers of every other),
 * the notices that a run's stream log grew (run id and event id; the events are in the table)
 * and the live view's notices (who watches which run, which frame was written; engine/live-*.ts).
 * Its application_name names the process, as `process_leases` and the logs do.
 */
function openBroadcast(
  config: Config,
  processId: string,
  logger: Logger,
): Promise<PgBroadcast<'events' | 'jobs' | 'stream' | 'live'>> {
  return PgBroadcast.open({
    databaseUrl: config.databaseUrl,
    channels: ['events', 'jobs', 'stream', 'live'],
    applicationName: `greenlight listen ${processId}`,
    onError: (err) =>
      logger.warn(
        { err },
        'LISTEN/NOTIFY connection (run events, job wake-ups, live view) failed; reconnecting',
      ),
  });
}

/** The run event bus: shared through `channel` on PostgreSQL, in-process on SQLite. */
function eventBus(channel: BroadcastChannel | null, logger: Logger): EventBus {
  const onListenerError = (err: unknown, e: { type: string; runId: string }): void =>
    logger.error({ err, runId: e.runId, event: e.type }, 'run event listener failed');
  if (!channel) return new InProcessEventBus({ onListenerError });
  return new SharedEventBus(channel, {
    onListenerError,
    onBadMessage: (m) =>
      logger.warn({ message: m.slice(0, 200) }, 'ignored a message on the run event channel'),
  });
}

/** Open the store, wire queue, events, browser pool and engine, and start the engine's workers. */
export async function openRuntime(
  config: Config,
  opts: { logger?: Logger; kind?: 'serve' | 'worker' | 'run' } = {},
): Promise<Runtime> {
  const processId = newProcessId();
  const logger = (opts.logger ?? createLogger(config)).child({ processId });
  const store = await openStore(storeOptions(config));
  const lease = new ProcessLeaseKeeper({
    store,
    id: processId,
    kind: opts.kind ?? 'run',
    logger,
  });
  await lease.start().catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  const broadcast =
    store.dialect === 'postgres'
      ? await openBroadcast(config, processId, logger).catch(async (e: unknown) => {
          await lease.stop();
          await store.close();
          throw e;
        })
      : null;
  const events = eventBus(broadcast?.channel('events') ?? null, logger);
  const artifactStore = await openArtifactStore(config);
  if (artifactStore.kind !== 'filesystem') {
    logger.info({ artifacts: artifactStore.location }, 'artifacts are kept in an S3 bucket');
    // Not fatal: tests still run and record results, their files are listed as missing.
    const problem = await artifactStore.check();
    if (problem) {
      logger.warn(
        { artifacts: artifactStore.location, problem },
        'the artifact bucket cannot be used; test files will be recorded as missing until it can',
      );
    }
  }
  const queue = new LocalQueue(store, broadcast ? { wakeChannel: broadcast.channel('jobs') } : {});
  const pool = new BrowserPool({ chromiumPath: config.chromiumPath, browserWs: config.browserWs });
  const live = new LiveView();
  // Across processes: this one casts its tests for watchers elsewhere (when it runs tests), and
  // the watchers of a `serve` see tests that run elsewhere. Both ride the LISTEN connection;
  // frames go through a table.
  const publisher =
    broadcast && config.workers > 0
      ? new LivePublisher({
          live,
          store,
          channel: broadcast.channel('live'),
          origin: processId,
          logger,
        })
      : null;
  const feed =
    broadcast && opts.kind === 'serve'
      ? new LiveFeed({ store, channel: broadcast.channel('live'), origin: processId, logger })
      : null;
  publisher?.start();
  feed?.start();
  // Run targets are user input: every request of every test passes the URL guard (SSRF).
  const egress = await EgressProxy.start(egressCheck(config));
  const engine = new Engine({
    store,
    queue,
    events,
    executor: chromiumExecutor(pool, config.dataDir, live, egress),
    dataDir: config.dataDir,
    artifactStore,
    workers: config.workers,
    logger,
    artifacts: artifactSettingsFrom(config),
    stopGraceMs: config.stopGraceMs,
    ...defined({ streamChannel: broadcast?.channel('stream') }),
  });
  await engine.start();
  let closed = false;
  let draining: Promise<void> | null = null;
  const drain = (): Promise<void> => (draining ??= engine.stop());
  return {
    config,
    logger,
    processId,
    store,
    events,
    engine,
    pool,
    live,
    watching: feed ? watchEverywhere(live, feed) : live,
    drain,
    async close() {
      if (closed) return;
      closed = true;
      await drain();
      feed?.stop();
      await publisher?.stop();
      await queue.close();
      await pool.close();
      await egress.close();
      // After the engine and the queue: their last events (a test handed back, a verdict) and
      // wake-ups still go out.
      await broadcast?.flush();
      await broadcast?.close();
      await lease.stop();
      await artifactStore.close();
      await store.close();
    },
  };
}
