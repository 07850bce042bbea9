import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Server } from '../../src/cli/commands/serve.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { AbandonedWorkSweeper } from '../../src/engine/abandoned-work.ts';
import { ScanService } from '../../src/engine/scan-service.ts';
import type { Store } from '../../src/store/connect.ts';
import { POSTGRES_URL } from '../fixtures/engine/test-stores.ts';
import { until } from '../helpers/until.ts';

/**
 * Several `greenlight serve` processes on one PostgreSQL schema: a server that starts fails the
 * crawls and scans whose owner process is gone (lease run out, stopped, or never recorded) and
 * leaves alone those another live server is running, so API processes can restart one at a time
 * while crawls run.
 */
const schema = `gl_${randomBytes(6).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'gl-crawl-leases-'));
const servers: Server[] = [];
let config: Config;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`).finally(() => admin.end());
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  config = loadConfig(
    {},
    { dataDir, databaseUrl: url.toString(), port: 0, logLevel: 'silent', workers: 1 },
  );
});

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  await c.query(`drop schema if exists ${schema} cascade`).finally(() => c.end());
  rmSync(dataDir, { recursive: true, force: true });
});

async function serve(): Promise<Server> {
  const s = await startServer(config, { demo: false });
  servers.push(s);
  return s;
}

/** A crawl and a scan marked running, owned by `owner` (a process lease id, or none). */
async function runningWork(store: Store, projectId: string, owner: string | null) {
  const crawl = await store.crawls.create({ projectId, options: {}, owner });
  await store.crawls.markRunning(crawl.id);
  const scan = await store.scans.create({ projectId, source: 'api', request: {}, owner });
  await store.scans.markRunning(scan.id);
  return { crawlId: crawl.id, scanId: scan.id };
}

async function statuses(store: Store, projectId: string, w: { crawlId: string; scanId: string }) {
  const [crawl, scan] = await Promise.all([
    store.crawls.get(projectId, w.crawlId),
    store.scans.get(projectId, w.scanId),
  ]);
  return { crawl: crawl?.status, scan: scan?.status };
}

describe('crawls and scans across serve processes', () => {
  it('a starting server fails only the work of processes that are gone', async () => {
    const a = await serve();
    const store = a.rt.store;
    const project = await store.projects.create({
      slug: 'leases',
      name: 'Leases',
      baseUrl: 'https://leases.example',
    });
    const live = await runningWork(store, project.id, a.rt.processId);
    const unowned = await runningWork(store, project.id, null);
    // A process killed with -9 a while ago: its lease ran out and nobody removed its row.
    const past = new Date(Date.now() - 60_000).toISOString();
    await store.processLeases.register({
      id: 'gone-host:4242:dead00',
      kind: 'serve',
      host: 'gone-host',
      pid: 4242,
      startedAt: past,
      leaseUntil: past,
    });
    const dead = await runningWork(store, project.id, 'gone-host:4242:dead00');

    const b = await serve();
    expect(await statuses(b.rt.store, project.id, live)).toEqual({
      crawl: 'running',
      scan: 'running',
    });
    expect(await statuses(b.rt.store, project.id, unowned)).toEqual({
      crawl: 'failed',
      scan: 'error',
    });
    expect(await statuses(b.rt.store, project.id, dead)).toEqual({
      crawl: 'failed',
      scan: 'error',
    });
    const failed = await b.rt.store.crawls.get(project.id, dead.crawlId);
    expect(failed?.error).toBe('the server stopped during the crawl');

    // Server A stops (its row goes with it): the next server to start takes its leftovers.
    await a.close();
    servers.splice(servers.indexOf(a), 1);
    const c = await serve();
    expect(await statuses(c.rt.store, project.id, live)).toEqual({
      crawl: 'failed',
      scan: 'error',
    });
  });

  it('a running server fails work once its owner lease runs out, not before', async () => {
    const b = servers[0]!;
    const store = b.rt.store;
    const project = await store.projects.create({
      slug: 'expiry',
      name: 'Expiry',
      baseUrl: 'https://expiry.example',
    });
    const now = new Date().toISOString();
    const leaseUntil = new Date(Date.now() + 5_000).toISOString();
    await store.processLeases.register({
      id: 'paused-host:7:abcdef',
      kind: 'worker',
      host: 'paused-host',
      pid: 7,
      startedAt: now,
      leaseUntil,
    });
    const w = await runningWork(store, project.id, 'paused-host:7:abcdef');
    const scans = new ScanService({ store, config });
    const sweeper = new AbandonedWorkSweeper({ store, scans });
    await sweeper.sweep();
    expect(await statuses(store, project.id, w)).toEqual({ crawl: 'running', scan: 'running' });
    await until(
      'the owner lease to run out and the sweep to fail its work',
      async () => {
        await sweeper.sweep();
        const s = await statuses(store, project.id, w);
        return s.crawl === 'failed' && s.scan === 'error' ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(leaseUntil));
  });
});
