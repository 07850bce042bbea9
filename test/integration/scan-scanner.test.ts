import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScanFinding } from '../../src/domain/scan.ts';
import { compileRule, RuleCrash, scanSource } from '../../src/scan/compile.ts';
import { scanOnWorkers } from '../../src/scan/pool.ts';
import type { RuleDef } from '../../src/scan/rule-schema.ts';
import { defaultScanConfig, mergeScanConfig } from '../../src/scan/scan-config.ts';
import { runScan } from '../../src/scan/scanner.ts';
import { SourceFile } from '../../src/scan/source-file.ts';
import { checkRule } from '../../src/scan/pack-yaml.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'gl-scan-'));
  dirs.push(root);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
  return root;
}

const config = mergeScanConfig(defaultScanConfig, { threads: 2 });
const ids = (fs: ScanFinding[]) => fs.map((f) => `${f.ruleId}@${f.file}:${f.startLine ?? ''}`);

describe('scanning a directory', () => {
  it('honours .gitignore and excludes, never follows links, skips binaries and huge files', async () => {
    const root = tree({
      '.gitignore': 'dist/\n*.log\n',
      'src/app.ts': 'export const run = (s: string) => eval(s);\n',
      'src/nested/.gitignore': 'secret.ts\n',
      'src/nested/secret.ts': 'eval(x);\n',
      'dist/bundle.js': 'eval(x);\n',
      'debug.log': 'eval(x);\n',
      'node_modules/lib/index.js': 'eval(x);\n',
      'vendor/lib.js': 'eval(x);\n',
      'img.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x65, 0x76, 0x61, 0x6c]),
      'big.js': `// ${'x'.repeat(2000)}\neval(y);\n`,
    });
    symlinkSync(join(root, 'src/app.ts'), join(root, 'link.ts'));
    const report = await runScan({
      root,
      config: mergeScanConfig(config, { exclude: ['vendor/**'], maxFileBytes: 1000 }),
    });
    expect(report.status).toBe('failed');
    expect(ids(report.findings.filter((f) => f.ruleId === 'GL-OWASP-EVAL'))).toEqual([
      'GL-OWASP-EVAL@src/app.ts:1',
    ]);
    expect(report.summary.skipped).toEqual(
      expect.arrayContaining([
        { path: 'big.js', reason: 'too_large' },
        { path: 'img.png', reason: 'binary' },
      ]),
    );
    expect(report.gate.conditions[0]).toMatchObject({
      metric: 'new_findings',
      severity: 'high',
      comparator: '>',
      threshold: 0,
      actual: 1,
      passed: false,
    });
  });

  it('scans only the changed files when told, and inline files the same way', async () => {
    const root = tree({ 'a.js': 'eval(a);\n', 'b.js': 'eval(b);\n' });
    const r1 = await runScan({ root, config, changedFiles: ['b.js', 'deleted.js'] });
    expect(ids(r1.findings)).toEqual(['GL-OWASP-EVAL@b.js:1']);
    const r2 = await runScan({
      files: { 'a.js': 'eval(a);\n', 'b.js': 'ok();\n' },
      config,
      changedFiles: ['b.js'],
    });
    expect(r2.findings).toEqual([]);
    expect(r2.status).toBe('passed');
    await expect(runScan({ files: { '../etc/passwd': 'x' }, config })).rejects.toThrow(
      /inside the repository/,
    );
  });
});

describe('findings', () => {
  it('keep their fingerprint when the lines above change, and identical lines stay apart', async () => {
    const a = await runScan({ files: { 'x.js': 'eval(a);\n' }, config });
    const b = await runScan({
      files: { 'x.js': '// a comment\n\n  eval(a);\neval(a);\n' },
      config,
    });
    expect(b.findings.map((f) => f.startLine)).toEqual([3, 4]);
    expect(b.findings[0]!.fingerprint).toBe(a.findings[0]!.fingerprint);
    expect(b.findings[1]!.fingerprint).not.toBe(a.findings[0]!.fingerprint);
  });

  it('inline suppressions need a reason; file suppressions expire', async () => {
    const files = {
      'a.js':
        'eval(a); // greenlight-ignore: GL-OWASP-EVAL -- sandboxed REPL\n// greenlight-ignore: GL-OWASP-EVAL\neval(b);\n',
      'b.js': 'eval(c);\n',
      'c.js': 'eval(d);\n',
      '.greenlight/suppressions.yaml': [
        'suppressions:',
        '  - { rule: GL-OWASP-EVAL, path: b.js, reason: legacy code, approver: alice@example.com, expires: "2099-01-01" }',
        '  - { rule: GL-OWASP-EVAL, path: c.js, reason: legacy code, approver: bob@example.com, expires: "2020-01-01" }',
      ].join('\n'),
    };
    const r = await runScan({ files, config });
    const by = (file: string, line: number) =>
      r.findings.find((f) => f.file === file && f.startLine === line)!;
    expect(by('a.js', 1).suppressed).toEqual({ kind: 'inSource', justification: 'sandboxed REPL' });
    expect(by('a.js', 3).suppressed).toBeUndefined();
    expect(by('b.js', 1).suppressed).toMatchObject({
      kind: 'external',
      justification: expect.stringContaining('alice@example.com'),
    });
    expect(by('c.js', 1).suppressed).toBeUndefined();
    expect(by('c.js', 1).message).toMatch(/expired on 2020-01-01/);
    expect(r.gate.conditions[0]!.actual).toBe(2);
  });

  it('a git base marks findings already there as existing', async () => {
    const root = tree({ 'app.js': 'eval(old);\n' });
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', root, '-c', 'user.email=t@e.st', '-c', 'user.name=t', ...args], {
        stdio: 'pipe',
      });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'feature');
    writeFileSync(join(root, 'app.js'), '// moved down\neval(old);\neval(fresh);\n');
    const r = await runScan({ root, config, base: 'main' });
    expect(r.findings.map((f) => [f.snippet, f.status])).toEqual([
      ['eval(old);', 'existing'],
      ['eval(fresh);', 'new'],
    ]);
    expect(r.summary).toMatchObject({ newFindings: 1, existingFindings: 1 });
    await expect(runScan({ root, config, base: 'no-such-branch' })).rejects.toThrow(/not a commit/);
    await expect(runScan({ root, config, base: '--output=/tmp/x' })).rejects.toThrow(
      /plain git ref/,
    );
  });
});

describe('safety', () => {
  it('a ReDoS-shaped pattern on a hostile input finishes (RE2 is linear time)', async () => {
    const rule = {
      id: 'REDOS',
      name: 'nested quantifier',
      severity: 'low',
      kind: 'regex',
      pattern: '(a+)+$',
      flags: 'm',
      message: 'x',
    };
    const r = await runScan({
      files: { 'evil.txt': `${'a'.repeat(200_000)}!\n`, 'ok.txt': 'aaaa\n' },
      config: mergeScanConfig(config, { packs: [], rules: [checkRule(rule, 'rule')] }),
    });
    expect(r.error).toBeNull();
    expect(ids(r.findings)).toEqual(['REDOS@ok.txt:1']);
  });

  it('patterns that need backtracking are refused when the rule is loaded', () => {
    const rule = {
      id: 'BACKREF',
      name: 'b',
      severity: 'low',
      kind: 'regex',
      pattern: '(a)\\1',
      message: 'x',
    };
    expect(() => checkRule(rule, 'rules.0')).toThrow(/not valid RE2 syntax.*backreferences/);
  });

  it('a rule that throws is a crash naming the rule and file', () => {
    const crashing = {
      ...compileRule(
        checkRule(
          { id: 'C', name: 'c', severity: 'low', kind: 'regex', pattern: 'x', message: 'x' },
          'r',
        ),
      ),
    };
    crashing.match = () => {
      throw new Error('boom');
    };
    expect(() => scanSource([crashing], new SourceFile('a.js', 'x', 'javascript'))).toThrow(
      RuleCrash,
    );
  });

  it('a rule that crashes on the worker makes the scan an error, never a pass', async () => {
    const broken = { id: 'BROKEN', kind: 'nonsense' } as unknown as RuleDef;
    const r = await scanOnWorkers([{ path: 'a.js', text: 'x', size: 1 }], {
      rules: [broken],
      threads: 1,
      fileTimeoutMs: 10_000,
    });
    expect(r.errors[0]!.message).toMatch(/rules did not compile/);
  });

  it('a file over its time budget stops its thread and makes the scan an error', async () => {
    const r = await runScan({
      files: { 'a.js': 'eval(a);\n' },
      config: { ...config, fileTimeoutMs: 1 },
    });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/took longer than its 1 ms budget/);
  });
});
