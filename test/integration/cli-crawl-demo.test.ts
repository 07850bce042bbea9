import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/store/connect.ts';
import { storeOptions } from '../../src/store/secret-key.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * The README's `greenlight crawl demo --generate` on a fresh data folder, with nothing opened in
 * the URL guard: the bundled demo site's own origin is allowed, nothing else on loopback is. A
 * foreign server already on the demo port is not adopted as the demo.
 */
describe('greenlight crawl demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gl-crawl-demo-'));
  let foreign: Server;
  let foreignHits = 0;
  let foreignPort = 0;

  beforeAll(async () => {
    foreign = createServer((_req, res) => {
      foreignHits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    foreignPort = (foreign.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => foreign.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('crawls the bundled demo and stores drafts, on its own port when the demo port is taken', async () => {
    const env = {
      GREENLIGHT_DATA_DIR: dataDir,
      GREENLIGHT_DEMO_PORT: String(foreignPort),
      GREENLIGHT_ALLOW_PRIVATE_URLS: '',
    };
    const res = await runCli(['crawl', 'demo', '--max-pages', '6', '--generate'], env);
    expect(res.stderr).not.toMatch(/refused|loopback/);
    expect(res.stderr).toContain(`port ${foreignPort} is taken by another process`);
    expect([0, 1]).toContain(res.code); // 1 only if the demo has broken links
    expect(res.stdout).toMatch(/draft/i);
    const store = await openStore(storeOptions(loadConfig({ GREENLIGHT_DATA_DIR: dataDir })));
    try {
      const demo = await store.projects.get('demo');
      expect(demo?.baseUrl).not.toContain(`:${foreignPort}`);
      const drafts = await store.tests.list(demo!.id, { limit: 500, offset: 0, status: 'draft' });
      expect(drafts.items.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
    // The foreign server was asked who it is, never crawled.
    expect(foreignHits).toBeLessThanOrEqual(1);
  });

  it('still refuses any other loopback URL', async () => {
    const res = await runCli(['crawl', `http://127.0.0.1:${foreignPort}/`], {
      GREENLIGHT_DATA_DIR: dataDir,
      GREENLIGHT_ALLOW_PRIVATE_URLS: '',
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/crawl URL host "127.0.0.1" resolves to a loopback address/);
  });
});
