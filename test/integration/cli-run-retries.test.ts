import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.ts';
import { runCli } from '../helpers/cli.ts';

// `greenlight run` with the retry, flaky, time-limit and healing flags: a real child process, its
// own data dir, the bundled demo site and real Chromium.
describe('greenlight run: retries, --fail-on-flaky, --timeout, --no-healing', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gl-cli-retries-'));
    env = { GREENLIGHT_DATA_DIR: dir, GREENLIGHT_DEMO_PORT: '0' };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the flags reach the run: a failing test is retried, the options are stored with the run', async () => {
    const r = await runCli(
      [
        'run',
        'demo',
        '--tag',
        'known-failure',
        '--retries',
        '1',
        '--fail-on-flaky',
        '--timeout',
        '5m',
        '--no-healing',
        '--json',
      ],
      env,
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      run: { id: string; status: string };
      results: { status: string; attempt: number; retries?: { status: string }[] }[];
    };
    expect(out.run.status).toBe('failed');
    expect(out.results).toHaveLength(1);
    // Failed twice: the retry ran, and the earlier attempt is kept.
    expect(out.results[0]).toMatchObject({ status: 'failed', attempt: 2 });
    expect(out.results[0]?.retries?.map((a) => a.status)).toEqual(['failed']);

    const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'greenlight.db')}` });
    try {
      expect(await store.runs.options(out.run.id)).toMatchObject({
        retries: 1,
        failOnFlaky: true,
        timeoutMs: 300_000,
        healing: false,
      });
    } finally {
      await store.close();
    }
  });

  it('lists the flags in --help and refuses bad values with exit 2 and a clear message', async () => {
    const help = await runCli(['run', '--help'], env);
    expect(help.code).toBe(0);
    for (const flag of [
      '--retries <n>',
      '--fail-on-flaky',
      '--timeout <duration>',
      '--no-healing',
    ]) {
      expect(help.stdout).toContain(flag);
    }
    const cases: [string[], string][] = [
      [['--retries', '6'], '--retries must be an integer from 0 to 5, got "6"'],
      [['--retries', '-1'], '--retries must be an integer from 0 to 5, got "-1"'],
      [['--timeout', '5x'], '--timeout must be a duration such as 90, 90s, 15m or 1h'],
      [['--timeout', '25h'], '(at most 24h), got "25h"'],
      [['--timeout', '0'], '--timeout must be a duration'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['run', 'demo', ...flags], env);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  }, 180_000);
});
