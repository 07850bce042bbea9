import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sarifErrors } from '../fixtures/report/validators.ts';
import { runCli } from '../helpers/cli.ts';

// `greenlight scan` runs without a server: exit 0 passed, 1 gate failed, 2 error.

const root = mkdtempSync(join(tmpdir(), 'gl-cli-scan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync('git', ['-C', root, '-c', 'user.email=t@e.st', '-c', 'user.name=t', ...args], {
    stdio: 'pipe',
  });

describe('greenlight scan', () => {
  it('exits 0, 1 and 2 for a passing gate, a failing gate and a scan that cannot run', async () => {
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'src/app.js'), 'console.log("hi");\n');
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'base');
    const env = { GREENLIGHT_DATA_DIR: join(root, '.gl') };
    const ok = await runCli(['scan', root, '--threads', '1'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Scan gate PASSED');

    writeFileSync(join(root, 'src/app.js'), 'console.log("hi");\neval(input);\n');
    const sarif = join(root, 'out.sarif');
    const failed = await runCli(['scan', root, '--base', 'main', '--sarif', sarif], env);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/high\s+GL-OWASP-EVAL src\/app.js:2/);
    const log = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual([
      'GL-HYG-CONSOLE-LOG',
      'GL-OWASP-EVAL',
    ]);

    // The console.log was on main already; --fail-on low counts every finding, existing or not.
    const low = await runCli(['scan', root, '--fail-on', 'low', '--json'], env);
    expect(low.code).toBe(1);
    expect(JSON.parse(low.stdout).gate.conditions[0]).toMatchObject({
      metric: 'findings',
      severity: 'low',
      actual: 2,
    });

    mkdirSync(join(root, '.greenlight'), { recursive: true });
    writeFileSync(join(root, '.greenlight/scan.yaml'), 'packs: [no-such-pack]\n');
    const broken = await runCli(['scan', root], env);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/unknown pack: no-such-pack/);
  });
});
