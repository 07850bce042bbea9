import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { openRuntime, type Runtime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import { importTests, testDataDir } from '../../src/engine/import-tests.ts';
import { repoRoot, runCli, startCli } from '../helpers/cli.ts';

// Greenlight tests its own dashboard the way its users test theirs: the YAML tests in
// test/dashboard/tests run on Greenlight's runner, in Chromium, against a real `greenlight serve`
// (the target, a child process with its own data dir), every page with `expect: { accessible }`.
// Their screenshots are copied to test-results/dashboard/.

const email = 'admin@example.com';
const password = 'dashboard suite password';
const shots = resolve(repoRoot, 'test-results', 'dashboard');
const dirs: string[] = [];
let demo: DemoSite;
let server: ChildProcess;
let target: string;
let rt: Runtime;

const tempDir = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `gl-${name}-`));
  dirs.push(d);
  return d;
};

/** Start `greenlight serve` on a free port; resolves with its base URL from its banner. */
function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = startCli(['serve', '--no-demo', '--port', '0'], env);
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Greenlight listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) ok({ child, url: m[1] });
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('close', (code) => fail(new Error(`greenlight serve exited ${code}:\n${out}`)));
  });
}

beforeAll(async () => {
  demo = await startDemoSite({ port: 0 });
  const env = { GREENLIGHT_DATA_DIR: tempDir('target'), GREENLIGHT_USER_PASSWORD: password };
  const cli = async (...args: string[]): Promise<void> => {
    const r = await runCli(args, env);
    if (r.code !== 0) throw new Error(`greenlight ${args.join(' ')}: ${r.stderr}`);
  };
  await cli('user', 'create', '--email', email, '--admin');
  await cli('project', 'create', 'Shop', '--base-url', demo.url);
  await cli('import', 'shop', resolve(repoRoot, 'test/dashboard/target'));
  await cli('project', 'create', 'Review', '--base-url', demo.url);
  const started = await serve(env);
  server = started.child;
  target = started.url;

  // The tester: a Greenlight runtime of its own, as a user's would be.
  const dataDir = tempDir('tester');
  rt = await openRuntime(loadConfig({}, { dataDir, workers: 2, allowPrivateUrls: ['loopback'] }), {
    logger: pino({ level: 'silent' }),
  });
  const project = await rt.store.projects.create({
    slug: 'dashboard',
    name: 'Dashboard',
    baseUrl: target,
  });
  await rt.store.environments.upsert(project.id, {
    name: 'default',
    baseUrl: null,
    variables: { ADMIN_EMAIL: email, ADMIN_PASSWORD: password, DEMO_URL: demo.url },
    secretNames: ['ADMIN_PASSWORD'],
  });
  await importTests(rt.store, project.id, resolve(repoRoot, 'test/dashboard/tests'), {
    defaultStatus: 'approved',
  });
  cpSync(resolve(repoRoot, 'test/dashboard/uploads'), testDataDir(dataDir, project.id), {
    recursive: true,
  });
}, 120_000);

afterAll(async () => {
  await rt?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('close', r));
  }
  await demo?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it('passes every dashboard test, each page accessible, and leaves a screenshot of each page', async () => {
  const project = (await rt.store.projects.get('dashboard'))!;
  const created = await rt.engine.createRun(project.id, {
    selection: {},
    trigger: { source: 'cli', actor: 'dashboard suite' },
    environment: 'default',
    parallelWorkers: 2,
    options: { screenshots: 'failure' },
  });
  const run = await rt.engine.waitForRun(created.id);
  const results = await rt.store.results.listByRun(run.id);
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  for (const r of results) {
    for (const s of r.artifacts.screenshots ?? []) {
      cpSync(join(rt.config.dataDir, s.path), join(shots, `${s.name}.png`));
    }
    if (r.artifacts.screenshot) {
      cpSync(
        join(rt.config.dataDir, r.artifacts.screenshot),
        join(shots, `FAILED-${r.testName.replace(/[^\w-]+/g, '-').slice(0, 60)}.png`),
      );
    }
  }
  const outcome = results
    .map(
      (r) =>
        `${r.status}: ${r.testName}${r.error ? ` — step ${(r.failedStep ?? 0) + 1}: ${r.error}` : ''}`,
    )
    .sort();
  expect(outcome).toEqual(results.map((r) => `passed: ${r.testName}`).sort());
  // Every YAML test of test/dashboard/tests ran (one per page or flow).
  expect(results).toHaveLength((await rt.store.tests.counts(project.id)).approved);
  expect(results.length).toBeGreaterThanOrEqual(8);
  expect(run.status).toBe('passed');
}, 600_000);
