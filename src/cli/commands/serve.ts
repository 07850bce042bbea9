import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config.ts';
import { buildApp } from '../../api/app.ts';
import { CrawlService } from '../../crawl/crawl-service.ts';
import { startApiServices, type ApiServices } from '../../engine/api-services.ts';
import { CrawlPhases } from '../../engine/crawl-phase.ts';
import { signInSession } from '../../engine/sign-in-session.ts';
import { flagStaleTests } from '../../engine/stale-tests.ts';
import { Scheduler } from '../../engine/scheduler.ts';
import { ScanService } from '../../engine/scan-service.ts';
import { AbandonedWorkSweeper } from '../../engine/abandoned-work.ts';
import { CallbackDispatcher } from '../../integrations/callbacks.ts';
import { Notifier } from '../../integrations/notifications.ts';
import { PrFeedback } from '../../integrations/pr-feedback.ts';
import {
  demoPort,
  ensureDemoProject,
  ensureDemoSite,
  trustDemoSite,
  type DemoSiteHandle,
} from '../demo-project.ts';
import { startIdleCompaction } from '../idle-compaction.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { closeOnSignals } from '../shutdown.ts';
import { defined } from '../../domain/defined.ts';

export { closeOnSignals };

export interface Server {
  rt: Runtime;
  url: string;
  demo: DemoSiteHandle | null;
  close(): Promise<void>;
}

/** Start the API (and the bundled demo site unless disabled) on this process's runtime. */
export async function startServer(config: Config, opts: { demo: boolean }): Promise<Server> {
  const rt = await openRuntime(config, { kind: 'serve' });
  let demo: DemoSiteHandle | null = null;
  // Notifications ride the callbacks' outbox and loop: same retries, backoff and attempt log.
  const notifier = new Notifier({ store: rt.store, config, logger: rt.logger });
  const callbacks = new CallbackDispatcher({
    store: rt.store,
    events: rt.events,
    config,
    logger: rt.logger,
    kinds: [notifier],
  });
  // PR feedback tokens live in this process only: a restart mid-run loses that run's feedback.
  const feedback = new PrFeedback({
    store: rt.store,
    events: rt.events,
    config,
    logger: rt.logger,
  });
  // Crawls run in this process on the runtime's browser, owned by it (its process lease).
  const crawls = new CrawlService({
    store: rt.store,
    owner: rt.processId,
    pool: rt.pool,
    config,
    logger: rt.logger,
    // A crawl is the moment to notice tests whose pages or locators have gone.
    afterCrawl: (projectId, siteMap, actor) =>
      flagStaleTests(rt.store, projectId, siteMap, { actor }),
    // `signInTestId`: the sign-in test runs on the real runner first; the crawl uses its session.
    signIn: signInSession({ store: rt.store, pool: rt.pool, dataDir: config.dataDir }),
  });
  // Runs that crawl their base URL before their tests (AegisRunner's crawl: true).
  const phases = new CrawlPhases({
    store: rt.store,
    events: rt.events,
    engine: rt.engine,
    crawler: crawls,
    logger: rt.logger,
  });
  // Scans run in this process, owned by it like crawls.
  const scans = new ScanService({
    store: rt.store,
    owner: rt.processId,
    config,
    logger: rt.logger,
    onRunScanDone: (runId) => rt.engine.finishRunIfIdle(runId),
  });
  // A crawl or scan whose process is gone is over (failed); one another live server runs is
  // left alone. A scan's run then takes its verdict instead of waiting for good.
  const abandoned = new AbandonedWorkSweeper({ store: rt.store, scans, logger: rt.logger });
  let services: ApiServices | null = null;
  try {
    await abandoned.start();
    await callbacks.start();
    feedback.start();
    if (opts.demo) {
      demo = await ensureDemoSite({ port: demoPort(), host: config.host, dataDir: config.dataDir });
      trustDemoSite(config, demo);
      await ensureDemoProject(rt.store, config.dataDir, demo.url);
    }
    // The run event log, the queued-run releaser and the Idempotency-Key purge.
    services = await startApiServices({
      store: rt.store,
      events: rt.events,
      runLog: rt.engine.runLog,
      logger: rt.logger,
    });
    const app = await buildApp({
      runStream: services.runStream,
      store: rt.store,
      engine: rt.engine,
      events: rt.events,
      config,
      logger: rt.logger,
      callbacks,
      feedback,
      crawls,
      crawlPhases: true,
      live: rt.watching,
      scans,
    });
    const url = await app.listen({ host: config.host, port: config.port });
    // Every server process runs one; firings are claimed in the database, so none runs twice.
    const scheduler = new Scheduler({ store: rt.store, engine: rt.engine, logger: rt.logger });
    scheduler.start();
    phases.start();
    return {
      rt,
      url,
      demo,
      async close() {
        // The engine stops taking jobs at once and its running tests get the grace period,
        // while the rest of the server stops beside it.
        const drained = rt.drain();
        await scheduler.stop();
        await abandoned.stop();
        await phases.stop();
        await crawls.close();
        // New requests get 503 from now; requests still open (a `wait: true` trigger) are cut
        // once the tests here are done, so a long wait never holds the shutdown.
        const appClosed = app.close();
        await drained;
        app.server.closeAllConnections();
        await appClosed;
        services?.stop();
        // After the drain: runs that finished during it still get their callbacks and PR feedback.
        await callbacks.stop();
        await feedback.stop();
        await demo?.close();
        await rt.close();
      },
    };
  } catch (e) {
    await abandoned.stop();
    services?.stop();
    await callbacks.stop();
    await feedback.stop();
    await demo?.close();
    await rt.close();
    throw e;
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the Greenlight server (dashboard, API, docs) and the bundled demo site')
    .option('-p, --port <port>', 'port (default 3001, GREENLIGHT_PORT)', Number)
    .option('-H, --host <host>', 'address to bind (default 127.0.0.1, GREENLIGHT_HOST)')
    .option('--no-demo', 'do not serve or seed the bundled demo project')
    .action(async (o: { port?: number; host?: string; demo: boolean }) => {
      const config = loadConfig(process.env, {
        ...defined({ port: o.port }),
        ...(o.host ? { host: o.host } : {}),
      });
      // Handlers first: a signal during start-up (or right after the line below) drains too.
      const starting = startServer(config, { demo: o.demo });
      closeOnSignals(async () => (await starting).close(), { graceMs: config.stopGraceMs });
      const server = await starting;
      if (config.idleCompaction === 'on') startIdleCompaction({ logger: server.rt.logger });
      process.stdout.write(
        `Greenlight listening on ${server.url} (dashboard ${server.url}/, API ${server.url}/api/v1, docs ${server.url}/docs)\n`,
      );
      if (server.demo) {
        if (server.demo.note) process.stdout.write(`${server.demo.note}\n`);
        process.stdout.write(`Demo site on ${server.demo.url} (project "demo")\n`);
      }
    });
}
