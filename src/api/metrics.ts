import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Registry } from 'prom-client';
import { launchCounts } from '../engine/browser-status.ts';
import type { EventBus } from '../events/event-bus.ts';
import { readQueueStats } from '../store/queue-stats.ts';
import type { Store } from '../store/connect.ts';

/**
 * One Prometheus registry per app (not prom-client's global one), so two apps in one process —
 * tests, or serve beside a worker — never register a metric twice.
 */
export function createMetrics(
  app: FastifyInstance,
  deps: { store: Store; events: EventBus },
): Registry {
  // Loaded only when metrics are on (GREENLIGHT_METRICS_TOKEN): about 12 MB otherwise spared.
  const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = createRequire(
    import.meta.url,
  )('prom-client') as typeof PromClient;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'greenlight_process_' });

  const http = new Histogram({
    name: 'greenlight_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern (never the raw URL, so ids do not explode labels)',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    http.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const started = new Counter({
    name: 'greenlight_runs_started_total',
    help: 'Runs that started executing',
    registers: [registry],
  });
  const finished = new Counter({
    name: 'greenlight_runs_finished_total',
    help: 'Runs that finished, by verdict',
    labelNames: ['verdict'],
    registers: [registry],
  });
  const tests = new Histogram({
    name: 'greenlight_test_duration_seconds',
    help: 'Duration of one test attempt, by result status',
    labelNames: ['status'],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const unsubscribe = deps.events.subscribe('*', (e) => {
    // Counts are of this process's work: a shared bus also carries other processes' events.
    if (e.remote) return;
    if (e.type === 'run.started') started.inc();
    else if (e.type === 'run.finished') finished.inc({ verdict: e.status ?? 'unknown' });
    else if (e.type === 'test.finished' && e.durationMs !== undefined)
      tests.observe({ status: e.status ?? 'unknown' }, e.durationMs / 1000);
  });
  app.addHook('onClose', async () => unsubscribe());

  // Depth is registered first and collects for both, so one read serves the two gauges.
  new Gauge({
    name: 'greenlight_queue_jobs',
    help: 'Jobs in the queue by state (all processes on this database)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const stats = await readQueueStats(deps.store.db, new Date());
      this.set({ state: 'queued' }, stats.queued);
      this.set({ state: 'running' }, stats.running);
      oldest.set(stats.oldestQueuedSeconds);
    },
  });
  const oldest = new Gauge({
    name: 'greenlight_queue_oldest_job_age_seconds',
    help: 'Age of the oldest job that is due and not yet claimed',
    registers: [registry],
  });
  new Counter({
    name: 'greenlight_browser_launches_total',
    help: 'Browsers launched (local) or connected (remote) by this process',
    labelNames: ['browser', 'mode'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { browser, mode, count } of launchCounts()) this.inc({ browser, mode }, count);
    },
  });
  return registry;
}
