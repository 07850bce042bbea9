import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/commands/serve.ts';
import { loadConfig } from '../../src/config.ts';
import { openStore } from '../../src/store/connect.ts';
import { storeOptions } from '../../src/store/secret-key.ts';

/**
 * A scan left running by a server that died (kill -9 mid-scan) is an error when the server
 * starts again, with the reason, instead of `running` for good (and a run waiting on it forever).
 */
describe('greenlight serve start-up', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gl-scan-recover-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('marks scans a dead process left running as errors', async () => {
    const config = loadConfig({}, { dataDir, port: 0, logLevel: 'silent', workers: 1 });
    const store = await openStore(storeOptions(config));
    const project = await store.projects.create({
      slug: 'scanned',
      name: 'Scanned',
      baseUrl: 'https://scanned.example',
    });
    const scan = await store.scans.create({
      projectId: project.id,
      source: 'sentrik',
      request: { files: 1 },
    });
    await store.scans.markRunning(scan.id);
    await store.close();

    const server = await startServer(config, { demo: false });
    try {
      const after = await server.rt.store.scans.get(project.id, scan.id);
      expect(after).toMatchObject({
        status: 'error',
        error: 'the server stopped during the scan',
      });
    } finally {
      await server.close();
    }
  });
});
