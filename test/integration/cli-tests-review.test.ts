import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.ts';
import { runCli } from '../helpers/cli.ts';

// `greenlight tests list|approve|reject|restore|diff` on a real data folder, as a reviewer types
// them: every command is the real CLI in its own process; the store is read to check each one.

let dir: string;
let env: Record<string, string>;
let store: Store;
let projectId: string;

const suite = (checkoutStep: string): string =>
  [
    'suite: shop',
    'tests:',
    '  - key: home',
    '    name: Home page loads',
    '    tags: [smoke]',
    '    steps:',
    '      - goto: /',
    '  - key: search',
    '    name: Search finds a product',
    '    steps:',
    '      - goto: /search',
    '  - key: checkout',
    '    name: Checkout asks for an address',
    '    tags: [smoke, checkout]',
    '    steps:',
    '      - goto: /cart',
    `      - ${checkoutStep}`,
    '  - key: about',
    '    name: About page',
    '    status: approved',
    '    steps:',
    '      - goto: /about',
    '',
  ].join('\n');

function writeSuite(checkoutStep: string): string {
  const folder = join(dir, 'suite');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'shop.yaml'), suite(checkoutStep));
  return folder;
}

async function idOf(key: string): Promise<string> {
  const t = (await store.tests.list(projectId, { limit: 50, offset: 0 })).items.find(
    (x) => x.key === key,
  );
  if (!t) throw new Error(`no test ${key}`);
  return t.id;
}

async function statusOf(key: string): Promise<string | undefined> {
  return (await store.tests.get(projectId, await idOf(key)))?.status;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-tests-review-'));
  env = { GREENLIGHT_DATA_DIR: dir };
  const created = await runCli(
    ['project', 'create', 'Shop', '--base-url', 'http://127.0.0.1:9'],
    env,
  );
  expect(created.code, created.stderr).toBe(0);
  const imported = await runCli(
    ['import', 'shop', writeSuite("click: { role: button, name: 'Check out' }")],
    env,
  );
  expect(imported.code, imported.stderr).toBe(0);
  store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
  projectId = (await store.projects.get('shop'))!.id;
}, 60_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Each case starts the CLI a few times; on a loaded machine one start takes seconds.
describe('greenlight tests', { timeout: 120_000 }, () => {
  it('lists the drafts with their ids, and filters by tag (--tag or --tags)', async () => {
    const r = await runCli(['tests', 'list', '--project', 'shop', '--status', 'draft'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('3 tests');
    const expected: Record<string, string> = {
      home: 'Home page loads',
      search: 'Search finds a product',
      checkout: 'Checkout asks for an address',
    };
    for (const [key, name] of Object.entries(expected)) {
      const line = lines.find((l) => l.includes(name));
      expect(line, key).toMatch(new RegExp(`^${await idOf(key)}  draft {5}shop › `));
    }
    expect(r.stdout).not.toContain('About page');

    const byTag = await runCli(['tests', 'list', '--project', 'shop', '--tag', 'checkout'], env);
    expect(byTag.stdout.trim().split('\n')).toEqual([
      expect.stringContaining('Checkout asks for an address'),
      '1 test',
    ]);
    const byTags = await runCli(
      ['tests', 'list', '--project', 'shop', '--tags', 'smoke', '--json'],
      env,
    );
    const names = (JSON.parse(byTags.stdout) as { items: { name: string }[] }).items.map(
      (t) => t.name,
    );
    expect(names.sort()).toEqual(['Checkout asks for an address', 'Home page loads']);
  });

  it('approves by id and by key, recording the CLI as reviewer in the history', async () => {
    const home = await idOf('home');
    const r = await runCli(['tests', 'approve', '--project', 'shop', home, 'search'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('Approved 2 tests in shop');
    expect(await statusOf('home')).toBe('approved');
    expect(await statusOf('search')).toBe('approved');
    const test = await store.tests.get(projectId, home);
    expect(test?.reviewedBy).toBe('cli');
    const [latest] = await store.testHistory.list(projectId, home);
    expect(latest).toMatchObject({ action: 'approved', actor: 'cli', status: 'approved' });
  });

  it('changes nothing when one id is unknown, and says which', async () => {
    const r = await runCli(
      ['tests', 'approve', '--project', 'shop', 'checkout', 'no-such-test'],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such test in this project: no-such-test');
    expect(await statusOf('checkout')).toBe('draft');
  });

  it('rejects and restores by an id prefix', async () => {
    const prefix = (await idOf('checkout')).slice(0, 8);
    const rejected = await runCli(['tests', 'reject', '--project', 'shop', prefix], env);
    expect(rejected.stdout.trim(), rejected.stderr).toBe('Rejected 1 test in shop');
    expect(await statusOf('checkout')).toBe('rejected');
    const restored = await runCli(['tests', 'restore', '--project', 'shop', prefix], env);
    expect(restored.stdout.trim(), restored.stderr).toBe('Restored to draft 1 test in shop');
    expect(await statusOf('checkout')).toBe('draft');
  });

  it("diffs a test's latest change as YAML, steps and status included", async () => {
    const again = await runCli(
      ['import', 'shop', writeSuite("click: { role: button, name: 'Buy now' }")],
      env,
    );
    expect(again.code, again.stderr).toBe(0);
    const r = await runCli(['tests', 'diff', '--project', 'shop', 'checkout'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^v\d+ → v\d+: changed steps$/);
    expect(lines).toContain('-      name: Check out');
    expect(lines).toContain('+      name: Buy now');

    const json = await runCli(
      ['tests', 'diff', '--project', 'shop', 'home', '--from', '1', '--to', '2', '--json'],
      env,
    );
    const diff = JSON.parse(json.stdout) as { from: number; changed: string[]; fields: unknown[] };
    expect(diff.from).toBe(1);
    expect(diff.changed).toEqual(['status']);
    expect(diff.fields).toEqual([{ field: 'status', from: 'draft', to: 'approved' }]);
  });

  it('refuses a bad status and an unknown project with a clear message', async () => {
    const bad = await runCli(['tests', 'list', '--project', 'shop', '--status', 'pending'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status must be one of draft, approved, rejected');
    const missing = await runCli(['tests', 'list', '--project', 'nope'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('project "nope" not found');
  });
});
