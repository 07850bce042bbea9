import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/run.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { startStaticServer } from '../helpers/static-server.ts';
import { until } from '../helpers/until.ts';

/** Child processes start slowly on a loaded machine: up to two minutes per wait. */
const untilSlow = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> =>
  until(what, probe, { timeoutMs: 120_000, intervalMs: 100 });

let dir: string;
let site: Awaited<ReturnType<typeof startStaticServer>>;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-restart-'));
  site = await startStaticServer(join(import.meta.dirname, '..', 'fixtures', 'runner'));
});
afterAll(async () => {
  await store?.close();
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

// The server is killed mid-run (SIGKILL: no clean shutdown) and started again: the run must end
// with every test's result, the ones recorded before the kill kept as they were.
it('finishes a run after the process running it is killed and Greenlight starts again', async () => {
  const env = { GREENLIGHT_DATA_DIR: dir };
  expect((await runCli(['project', 'create', 'Slow', '--base-url', site.url], env)).code).toBe(0);
  const tests = join(dir, 'tests');
  mkdirSync(tests);
  const docs = Array.from({ length: 5 }, (_, i) =>
    [
      `- name: Slow ${i + 1}`,
      '  status: approved',
      '  steps:',
      '    - goto: /',
      '    - wait: 700',
      '    - expect: { visible: { css: body } }',
    ].join('\n'),
  );
  writeFileSync(join(tests, 'slow.yaml'), `${docs.join('\n')}\n`);
  expect((await runCli(['import', 'slow', tests], env)).code).toBe(0);

  const runner = startCli(['run', 'slow', '--workers', '1'], env);
  store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
  const project = (await store.projects.get('slow'))!;
  const run = await untilSlow(
    'a run',
    async () => (await store.runs.list(project.id, { limit: 1, offset: 0 })).items[0],
  );
  const before = await untilSlow('two results', async () => {
    const r = await store.results.listByRun(run.id);
    return r.length >= 2 ? r : undefined;
  });
  runner.kill('SIGKILL');
  await new Promise((r) => runner.once('close', r));
  const afterKill = (await store.runs.get(project.id, run.id))!;
  expect(isTerminal(afterKill.status)).toBe(false);

  const server = startCli(['serve', '--no-demo', '--port', '0'], env);
  try {
    const done = await untilSlow('the run to finish', async () => {
      const r = await store.runs.get(project.id, run.id);
      return r && isTerminal(r.status) ? r : undefined;
    });
    expect(done.status).toBe('passed');
    expect(done).toMatchObject({ total: 5, passed: 5, failed: 0, errored: 0 });
    const results = await store.results.listByRun(run.id);
    expect(new Set(results.map((r) => r.testId)).size).toBe(5);
    expect(results).toHaveLength(5);
    for (const earlier of before) {
      expect(results.find((r) => r.id === earlier.id)).toEqual(earlier);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('close', r));
  }
}, 180_000);
