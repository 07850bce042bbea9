import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README's examples write reports into out/ and exported suites into exported/, and the
// server keeps its data in .greenlight/. Files there are not the project's code: if git, ESLint
// or Prettier saw them, following the README would turn `npm test` red.

const root = join(import.meta.dirname, '..', '..');
const folders = ['out', 'exported', '.greenlight'];
// Files that would fail lint and format if they were looked at.
const ugly = 'const   unused = 1 ;var x=eval("1")\n';
const created: string[] = [];

beforeAll(() => {
  for (const folder of folders) {
    const dir = join(root, folder, 'readme-output-probe');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'probe.ts'), ugly);
    created.push(dir);
  }
});
afterAll(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

describe('README output folders', () => {
  it('are ignored by git, ESLint and Prettier', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const folder of folders) {
      const file = join(root, folder, 'readme-output-probe', 'probe.ts');
      const rel = `${folder}/readme-output-probe/probe.ts`;
      // git check-ignore exits 0 when the path is ignored (and throws otherwise).
      expect(execFileSync('git', ['check-ignore', rel], { cwd: root, encoding: 'utf8' })).toContain(
        rel,
      );
      expect(await eslint.isPathIgnored(file), `${rel} ignored by ESLint`).toBe(true);
      const info = await prettier.getFileInfo(file, { ignorePath: join(root, '.prettierignore') });
      expect(info.ignored, `${rel} ignored by Prettier`).toBe(true);
    }
  });

  it('are the folders the README writes into', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('--junit out/junit.xml');
    expect(readme).toMatch(/--out exported\//);
  });
});
