import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/domain/run-options.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { runCli } from '../helpers/cli.ts';
import { createTriggerToken } from './auth-helpers.ts';
import { passingExecutor, startHarness, type Harness } from './api-harness.ts';

// `greenlight ci run` forwarding retries, flaky handling, healing, the strategy and the browser
// options to a real server. `flaky …` tests fail on their first execution in a job, pass after.
const executions = new Map<string, number>();
const seenOptions = new Map<string, RunOptions>();
const executor: TestExecutor = async (job) => {
  seenOptions.set(job.run.id, job.options);
  const key = `${job.run.id}/${job.test.id}`;
  const n = (executions.get(key) ?? 0) + 1;
  executions.set(key, n);
  const outcome = await passingExecutor(job);
  if (job.test.name.startsWith('flaky') && n === 1) {
    return { ...outcome, status: 'failed', failedStep: 0, error: 'expected heading "Welcome"' };
  }
  return outcome;
};

let h: Harness;
let dir: string;
let env: Record<string, string>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness({ executor });
  dir = mkdtempSync(join(tmpdir(), 'gl-ci-flags-'));
  const p = await h.call('POST', '/api/v1/projects', {
    name: 'Flags',
    slug: 'flags',
    baseUrl: 'http://shop.test',
  });
  expect(p.status).toBe(201);
  for (const [name, covers] of [
    ['pass checkout', ['src/checkout/**']],
    ['pass search', ['src/search/**']],
    ['pass account', ['src/account/**']],
    ['flaky payment', ['src/payment/**']],
  ] as const) {
    const t = await h.call('POST', '/api/v1/projects/flags/tests', {
      name,
      covers,
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(t.status).toBe(201);
    ids[name] = t.body.id as string;
  }
  const token = await createTriggerToken(h.store, p.body.id as string);
  env = { GREENLIGHT_URL: h.url, GREENLIGHT_TOKEN: token };
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('greenlight ci run: execution and strategy flags', () => {
  it('forwards strategy changed with --changed-file and --changed-files-from, and the run options', async () => {
    const list = join(dir, 'changed.txt');
    // `git diff --name-only` output, as a Windows runner might write it, with a blank line.
    writeFileSync(list, 'src/search/box.ts\r\n\r\nREADME.md\r\nsrc/checkout/cart.ts\n');
    const r = await runCli(
      [
        'ci',
        'run',
        '--project',
        'flags',
        '--strategy',
        'changed',
        '--changed-file',
        'src/checkout/cart.ts',
        '--changed-files-from',
        list,
        '--retries',
        '2',
        '--no-healing',
        '--screenshots',
        'every-step',
        '--device',
        'mobile',
        '--browser',
        'chromium',
        '--json',
      ],
      env,
    );
    expect(r.stderr).not.toContain('greenlight:');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; results: { testId: string }[] };
    const run = await h.store.runs.get(null, out.runId);
    expect(new Set(run?.testIds)).toEqual(new Set([ids['pass checkout'], ids['pass search']]));
    expect(out.results.map((x) => x.testId).sort()).toEqual([...(run?.testIds ?? [])].sort());
    expect(run?.selectionDetail?.strategy).toBe('changed');
    expect(run?.selectionDetail?.inputs.changedFiles).toEqual([
      'src/checkout/cart.ts',
      'src/search/box.ts',
      'README.md',
    ]);
    const options = await h.store.runs.options(out.runId);
    expect(options).toMatchObject({
      retries: 2,
      failOnFlaky: false,
      healing: false,
      screenshots: 'every-step',
      device: 'mobile',
      browser: 'chromium',
    });
    expect(seenOptions.get(out.runId)).toMatchObject({ retries: 2, healing: false });
  });

  it('--retries with --fail-on-flaky: a test passing only on retry fails the run (exit 1)', async () => {
    const args = ['ci', 'run', '--project', 'flags', '--test', ids['flaky payment']!, '--json'];
    const lenient = await runCli([...args, '--retries', '1'], env);
    expect(lenient.code).toBe(0);
    const passed = JSON.parse(lenient.stdout) as { runId: string; results: { status: string }[] };
    expect(passed.results[0]?.status).toBe('flaky');

    const strict = await runCli([...args, '--retries', '1', '--fail-on-flaky'], env);
    expect(strict.code).toBe(1);
    const failed = JSON.parse(strict.stdout) as { runId: string };
    expect(await h.store.runs.options(failed.runId)).toMatchObject({
      retries: 1,
      failOnFlaky: true,
      healing: true,
    });
    const run = await h.store.runs.get(null, failed.runId);
    expect(run).toMatchObject({ status: 'failed', flaky: 1 });
  });

  // One CLI process per case: on a loaded 2-core machine each start takes seconds.
  it(
    'refuses bad values with exit 2 and a message naming the flag',
    { timeout: 180_000 },
    async () => {
      const base = ['ci', 'run', '--project', 'flags'];
      const cases: [string[], RegExp][] = [
        [['--retries', '6'], /--retries must be an integer from 0 to 5, got "6"/],
        [['--retries', 'two'], /--retries must be an integer/],
        [['--browser', 'edge'], /--browser.*edge.*chromium, firefox, webkit/],
        [['--screenshots', 'always'], /--screenshots.*always.*failure, every-step/],
        [['--strategy', 'newest'], /--strategy.*newest/],
        [['--changed-file', 'src/a.ts'], /--changed-file\/--changed-files-from need --strategy/],
        [
          ['--strategy', 'changed', '--changed-files-from', join(dir, 'missing.txt')],
          /--changed-files-from: cannot read ".*missing\.txt" \(ENOENT\)/,
        ],
        // The server's own check: `changed` with no paths (an empty diff file) is a clear 400.
        [
          ['--strategy', 'changed', '--changed-files-from', emptyFile()],
          /strategy "changed" needs changedFiles/,
        ],
        [['--device', 'Nokia 3310'], /Nokia 3310/],
      ];
      const before = (await h.store.runs.list(await projectId(), { limit: 100, offset: 0 })).total;
      for (const [flags, message] of cases) {
        const r = await runCli([...base, ...flags], env);
        expect(r.code, flags.join(' ')).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toContain(env.GREENLIGHT_TOKEN!);
      }
      // None of them started a run.
      expect((await h.store.runs.list(await projectId(), { limit: 100, offset: 0 })).total).toBe(
        before,
      );
    },
  );

  it('lists the new flags in --help', async () => {
    const r = await runCli(['ci', 'run', '--help'], env);
    expect(r.code).toBe(0);
    for (const flag of [
      '--retries <n>',
      '--fail-on-flaky',
      '--no-healing',
      '--strategy <name>',
      '--changed-file <path...>',
      '--changed-files-from <file>',
      '--screenshots <mode>',
      '--device <name>',
      '--browser <name>',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});

function emptyFile(): string {
  const f = join(dir, 'empty.txt');
  writeFileSync(f, '\n');
  return f;
}

async function projectId(): Promise<string> {
  return (await h.store.projects.get('flags'))!.id;
}
