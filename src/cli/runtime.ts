import { pino, type Logger } from 'pino';
import { SECRET_LOG_PATHS, type Config } from '../config.ts';
import { BrowserPool } from '../browser/browser-pool.ts';
import { EgressProxy } from '../browser/egress-proxy.ts';
import { egressCheck } from '../integrations/ssrf.ts';
import { artifactSettingsFrom } from '../engine/artifact-settings.ts';
import { chromiumExecutor } from '../engine/chromium-executor.ts';
import { Engine } from '../engine/engine.ts';
import { LiveView } from '../engine/live-view.ts';
import { InProcessEventBus } from '../events/event-bus.ts';
import { LocalQueue } from '../queue/local-queue.ts';
import { openStore, type Store } from '../store/connect.ts';
import { storeOptions } from '../store/secret-key.ts';

/** The wired-up parts of one Greenlight process. */
export interface Runtime {
  config: Config;
  logger: Logger;
  store: Store;
  events: InProcessEventBus;
  engine: Engine;
  pool: BrowserPool;
  /** Screencasts of this process's running tests, for live-view watchers. */
  live: LiveView;
  close(): Promise<void>;
}

/** Logs go to stderr so command output on stdout stays clean. */
export function createLogger(config: Config, level?: string): Logger {
  return pino(
    {
      level: level ?? config.logLevel,
      redact: SECRET_LOG_PATHS,
    },
    pino.destination(2),
  );
}

/** Open the store, wire queue, events, browser pool and engine, and start the engine's workers. */
export async function openRuntime(
  config: Config,
  opts: { logger?: Logger } = {},
): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config);
  const store = await openStore(storeOptions(config));
  const events = new InProcessEventBus();
  const queue = new LocalQueue(store);
  const pool = new BrowserPool({ chromiumPath: config.chromiumPath, browserWs: config.browserWs });
  const live = new LiveView();
  // Run targets are user input: every request of every test passes the URL guard (SSRF).
  const egress = await EgressProxy.start(egressCheck(config));
  const engine = new Engine({
    store,
    queue,
    events,
    executor: chromiumExecutor(pool, config.dataDir, live, egress),
    dataDir: config.dataDir,
    workers: config.workers,
    logger,
    artifacts: artifactSettingsFrom(config),
  });
  await engine.start();
  let closed = false;
  return {
    config,
    logger,
    store,
    events,
    engine,
    pool,
    live,
    async close() {
      if (closed) return;
      closed = true;
      await engine.stop();
      await pool.close();
      await egress.close();
      await store.close();
    },
  };
}
