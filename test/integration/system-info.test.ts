import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { systemInfoReader } from '../../src/engine/system-info.ts';
import { knownMigrations } from '../../src/store/migrate.ts';
import { addTests, dialects } from '../fixtures/engine/test-stores.ts';
import { useTestStore } from '../helpers/suite-store.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';
import { FilesystemArtifactStore } from '../../src/store/artifacts/filesystem.ts';

describe('GET /api/v1/system', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { chromiumPath: null, browserWs: null } });
  });
  afterAll(async () => h?.close());

  it('reports versions, database, queue, browser, counts and disk use to an admin', async () => {
    const p = await h.call('POST', '/api/v1/projects', {
      name: 'Sys',
      slug: 'sys',
      baseUrl: 'https://shop.example.com',
    });
    for (const name of ['One', 'Two']) {
      await h.call('POST', '/api/v1/projects/sys/tests', { name, steps: [{ goto: '/' }] });
    }
    const gone = await h.call('POST', '/api/v1/projects/sys/tests', {
      name: 'Deleted',
      steps: [{ goto: '/' }],
    });
    await h.call('DELETE', `/api/v1/projects/sys/tests/${gone.body.id}`);
    const dir = join(h.config.dataDir, 'artifacts', 'r1', 't1-1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'shot.png'), Buffer.alloc(1234));

    const res = await h.call('GET', '/api/v1/system');
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.version).toBe(pkg.version);
    expect(s.nodeVersion).toBe(process.version);
    expect(s.playwrightVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.database).toEqual({
      kind: 'sqlite',
      migration: {
        latest: knownMigrations().at(-1),
        applied: knownMigrations().length,
        known: knownMigrations().length,
      },
    });
    expect(s.queue).toMatchObject({ kind: 'local', running: true, queued: 0 });
    // This machine has Debian's Chromium: its path and the version it prints.
    expect(s.browser.kind).toBe('local');
    expect(s.browser.path).toMatch(/chrom/i);
    expect(s.browser.version).toMatch(/Chromium \d+\./);
    expect(s.counts).toEqual({ projects: 1, tests: 2, approvedTests: 0, draftTests: 2, runs: 0 });
    expect(s.disk.artifactsBytes).toBe(1234);
    expect(s.disk.dataDir).toBe(h.config.dataDir);
    expect(s.disk.freeBytes).toBeGreaterThan(0);
    // Sentri's flat shape.
    expect(s).toMatchObject({ projects: 1, tests: 2, runs: 0, draftTests: 2, approvedTests: 0 });
    expect(s.uptime).toBe(s.uptimeSeconds);
    expect(p.status).toBe(201);
  });

  it('is for admins only', async () => {
    const editor = await createMember(h.store, { role: 'editor' });
    errorBody(
      await h.call('GET', '/api/v1/system', undefined, {
        authorization: `Bearer ${editor.apiKey}`,
      }),
      403,
      'forbidden',
    );
    const readOnlyKey = await createMember(h.store, { role: 'admin', scopes: ['runs:read'] });
    errorBody(
      await h.call('GET', '/api/v1/system', undefined, {
        authorization: `Bearer ${readOnlyKey.apiKey}`,
      }),
      403,
      'forbidden',
    );
    errorBody(
      await h.call('GET', '/api/v1/system', undefined, { cookie: '' }),
      401,
      'unauthorized',
    );
  });
});

describe.each(dialects)('system info from the store on %s', (dialect) => {
  const t = useTestStore(dialect);

  it('counts one workspace’s live items and reads the migration level', async () => {
    const ws = (await t.store.accounts.createWorkspace('a')).id;
    const other = (await t.store.accounts.createWorkspace('b')).id;
    const mk = (slug: string, workspaceId: string) =>
      t.store.projects.create({ slug, name: slug, baseUrl: 'http://127.0.0.1:1', workspaceId });
    const p = await mk('counted', ws);
    const deleted = await mk('deleted', ws);
    const foreign = await mk('foreign', other);
    const [, draft] = await addTests(t.store, p, ['A', 'B']);
    await t.store.tests.setStatus(p.id, [draft!.id], 'draft', null);
    const [gone] = await addTests(t.store, p, ['Gone']);
    await t.store.tests.delete(p.id, gone!.id);
    await addTests(t.store, deleted, ['Hidden']);
    await t.store.projects.softDelete(deleted.id);
    await addTests(t.store, foreign, ['Theirs']);

    const read = systemInfoReader({
      store: t.store,
      artifactStore: new FilesystemArtifactStore(t.dir),
      config: { dataDir: t.dir, chromiumPath: '/nonexistent/chromium', browserWs: null },
      queueRunning: () => false,
      startedAt: Date.now() - 5_000,
    });
    const info = await read(ws);
    expect(info.counts).toEqual({
      projects: 1,
      tests: 2,
      approvedTests: 1,
      draftTests: 1,
      runs: 0,
    });
    expect(info.database.kind).toBe(dialect);
    expect(info.database.migration.applied).toBe(knownMigrations().length);
    expect(info.queue.running).toBe(false);
    expect(info.uptimeSeconds).toBeGreaterThanOrEqual(5);
    // A configured browser that is not there is reported, not thrown.
    expect(info.browser).toMatchObject({ kind: 'local', path: null, version: null });
    expect(info.browser.error).toContain('/nonexistent/chromium');
    expect(info.disk.artifactsBytes).toBe(0);
  });
});
