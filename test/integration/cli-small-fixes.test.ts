import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.ts';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { startStaticServer } from '../helpers/static-server.ts';

// Issue 18.9: the small stumbles a newcomer met, each checked on the real CLI in its own process
// against a real data folder (and real Chromium for the run and the crawl).

let dir: string;
let env: Record<string, string>;
let site: Awaited<ReturnType<typeof startStaticServer>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-small-'));
  env = { GREENLIGHT_DATA_DIR: dir };
  site = await startStaticServer(join(import.meta.dirname, '..', 'fixtures', 'runner'));
  const created = await runCli(['project', 'create', 'Shop', '--base-url', site.url], env);
  expect(created.code, created.stderr).toBe(0);
  const folder = join(dir, 'suite');
  mkdirSync(folder);
  writeFileSync(
    join(folder, 'home.yaml'),
    [
      'key: home-heading',
      'name: Home shows the old heading',
      'tags: [smoke]',
      'status: approved',
      'steps:',
      '  - goto: /',
      '  - expect: { visible: { role: heading, name: Welcome to the old site } }',
      '    timeout: 1000',
      '',
    ].join('\n'),
  );
  const imported = await runCli(['import', 'shop', folder], env);
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toContain('Imported 1 test from 1 file into shop');
}, 60_000);

afterAll(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI small fixes (issue 18.9)', { timeout: 180_000 }, () => {
  it('token list shows when each token expires', async () => {
    expect(
      (
        await runCli(
          ['token', 'create', '--project', 'shop', '--name', 'GH', '--expires-in-days', '30'],
          env,
        )
      ).code,
    ).toBe(0);
    expect(
      (await runCli(['token', 'create', '--project', 'shop', '--name', 'forever'], env)).code,
    ).toBe(0);
    const r = await runCli(['token', 'list', '--project', 'shop'], env);
    expect(r.code, r.stderr).toBe(0);
    const gh = r.stdout.split('\n').find((l) => l.includes('\tGH\t'));
    const forever = r.stdout.split('\n').find((l) => l.includes('\tforever\t'));
    expect(gh).toMatch(/\texpires \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const expires = Date.parse(gh!.split('\texpires ')[1]!);
    expect(expires - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(forever).toMatch(/\tnever expires$/);
  });

  it('a missing import folder is a clear error, not a raw ENOENT', async () => {
    const r = await runCli(['import', 'shop', 'no/such/folder'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to import at no/such/folder: no such file or folder');
    expect(r.stderr).not.toContain('ENOENT');
  });

  it('a data/ folder beside the tests that is the data folder itself is refused before any test is stored', async () => {
    // The tests sit in the folder that holds Greenlight's data folder, and that folder is named
    // `data`: copying "the data/ folder beside the tests" would copy the data folder into itself.
    const outer = mkdtempSync(join(tmpdir(), 'gl-overlap-'));
    try {
      const own = { GREENLIGHT_DATA_DIR: join(outer, 'data') };
      expect(
        (await runCli(['project', 'create', 'Overlap', '--base-url', site.url], own)).code,
      ).toBe(0);
      writeFileSync(join(outer, 'hold.yaml'), 'name: Hold\nsteps:\n  - wait: 10\n');
      const r = await runCli(['import', 'overlap', join(outer, 'hold.yaml')], own);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("overlaps Greenlight's data folder");
      const listed = await runCli(['tests', 'list', '--project', 'overlap'], own);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).not.toContain('Hold');
    } finally {
      rmSync(outer, { recursive: true, force: true });
    }
  });

  it('ci run against an unreachable server names the URL and the cause', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const r = await runCli(
      ['ci', 'run', '--url', url, '--token', 'glt_x', '--project', 'shop'],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot reach the Greenlight server at ${url}`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toContain('fetch failed');
    expect(r.stderr).not.toContain('glt_x');
  });

  it('--tags selects like --tag, and comma-separated lists work', async () => {
    const plan = async (flags: string[]): Promise<string[]> => {
      const r = await runCli(['plan', 'shop', '--shards', '1', '--json', ...flags], env);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { shards: { testIds: string[] }[] }).shards[0]!.testIds;
    };
    const byTag = await plan(['--tag', 'smoke']);
    expect(byTag).toHaveLength(1);
    expect(await plan(['--tags', 'smoke'])).toEqual(byTag);
    expect(await plan(['--tag', 'nightly,smoke'])).toEqual(byTag);
    const none = await runCli(['plan', 'shop', '--shards', '1', '--tags', 'nightly'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No approved tests match tag nightly');
  });

  it('a run of one test says "1 test" and "1 worker", and how to open its trace', async () => {
    const r = await runCli(['run', 'shop', '--workers', '1', '--trace'], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/ · 1 test · 1 worker · /);
    expect(r.stdout).toMatch(/\n1 test: 0 passed, 1 failed · wall .*, 1 worker\)\n/);
    const trace =
      /\n {6}trace: (\S+trace\.zip)\n {8}open it: npx playwright show-trace (\S+)\n/.exec(r.stdout);
    expect(trace, r.stdout).not.toBeNull();
    expect(trace![2]).toBe(trace![1]);
    expect(existsSync(trace![1]!)).toBe(true);
  });

  it('crawl prints one line per page without a TTY, points at a real command, drafts by `crawl`', async () => {
    const r = await runCli(['crawl', 'shop', '--max-pages', '5', '--generate'], env);
    // 1: the fixture site has a broken link, which the crawl reports.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('Broken links: ');
    // stderr is a pipe here, as in CI: progress comes as plain lines.
    expect(r.stderr).toMatch(/^ {2}page 1: 200 \/$/m);
    expect(r.stderr).toMatch(/^ {2}page 2: 200 \/\S+$/m);
    expect(r.stdout).not.toContain('greenlight web');
    expect(r.stdout).toMatch(
      /\d+ draft tests? stored for review: greenlight tests list --project shop --status draft/,
    );
    const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
    try {
      const project = (await store.projects.get('shop'))!;
      const drafts = await store.tests.list(project.id, { status: 'draft', limit: 50, offset: 0 });
      expect(drafts.total).toBeGreaterThan(0);
      const [created] = await store.testHistory.list(project.id, drafts.items[0]!.id);
      expect(created).toMatchObject({ action: 'created', actor: 'crawl' });
    } finally {
      await store.close();
    }
    const listed = await runCli(['tests', 'list', '--project', 'shop', '--status', 'draft'], env);
    expect(listed.stdout).toContain(`${r.stdout.match(/(\d+) draft tests? stored/)![1]} test`);
  });
});
