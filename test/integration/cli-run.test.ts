import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.ts';
import { runCli } from '../helpers/cli.ts';

// The CLI as a user runs it: a child process, its own data dir, the bundled demo site.
describe('greenlight CLI', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gl-cli-'));
    env = { GREENLIGHT_DATA_DIR: dir, GREENLIGHT_DEMO_PORT: '0' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the demo smoke tests and exits 0 with a passing verdict, the URL guard closed', async () => {
    // As a user runs it: nothing opened for loopback; the demo's own origin is trusted, and its
    // API test (a request step, tunnelled through the egress proxy) reaches it.
    const closed = { ...env, GREENLIGHT_ALLOW_PRIVATE_URLS: '' };
    const r = await runCli(['run', 'demo', '--tag', 'smoke', '--workers', '2'], closed);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/7 tests: 7 passed, 0 failed/);
    expect(r.stdout).toContain('Verdict: PASSED');
  });

  it('exits 1 and shows the failing step, its reason and a screenshot when a test fails', async () => {
    const r = await runCli(['run', 'demo', '--tag', 'known-failure'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Verdict: FAILED — 1 of 1 test failed');
    expect(r.stdout).toMatch(/at step 2: expect text/);
    expect(r.stdout).toContain('got "$24.50"');
    const shot = /screenshot: (\S+\.png)/.exec(r.stdout)?.[1];
    expect(shot).toBeDefined();
    expect(shot?.startsWith(dir)).toBe(true);
  });

  it('prints the run as JSON with --json, secrets masked', async () => {
    const r = await runCli(['run', 'demo', '--tag', 'auth', '--json'], env);
    const body = JSON.parse(r.stdout) as { run: { status: string }; results: unknown[] };
    expect(body.run.status).toBe('passed');
    expect(body.results.length).toBeGreaterThan(0);
    expect(r.stdout).not.toContain('greenlight123');
  });

  it('exits 2 with a clear message for an unknown project or a bad option', async () => {
    const a = await runCli(['run', 'nope'], env);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('project "nope" not found');
    const b = await runCli(['run', 'demo', '--workers', '40'], env);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--workers must be an integer from 1 to 16');
  });

  // One CLI process per case: on a loaded 2-core machine each start takes seconds.
  it(
    'imports all or nothing and names the file, test and step of a bad file',
    { timeout: 180_000 },
    async () => {
      const create = await runCli(
        ['project', 'create', 'Shop', '--base-url', 'http://127.0.0.1:9'],
        env,
      );
      expect(create.code).toBe(0);
      const tests = join(dir, 'tests');
      mkdirSync(tests, { recursive: true });
      writeFileSync(join(tests, 'a.yaml'), 'name: Home\nsteps:\n  - goto: /\n');
      writeFileSync(
        join(tests, 'b.yaml'),
        'tests:\n  - name: Checkout\n    steps:\n      - goto: /cart\n      - click: { role: button, nme: Pay }\n',
      );
      const bad = await runCli(['import', 'shop', tests], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('b.yaml › test "Checkout" › step 2');
      expect(bad.stderr).toContain('nme');
      const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
      try {
        const project = await store.projects.get('shop');
        expect((await store.tests.counts(project!.id)).total).toBe(0);
        writeFileSync(
          join(tests, 'b.yaml'),
          'name: Cart\nstatus: approved\nsteps:\n  - goto: /cart\n',
        );
        const ok = await runCli(['import', 'shop', tests], env);
        expect(ok.stdout).toContain('Imported 2 tests from 2 files into shop: 2 new, 0 updated');
        const again = await runCli(['import', 'shop', tests], env);
        expect(again.stdout).toContain('0 new, 2 updated');
        expect(await store.tests.counts(project!.id)).toMatchObject({
          total: 2,
          approved: 1,
          draft: 1,
        });
      } finally {
        await store.close();
      }
    },
  );
});
