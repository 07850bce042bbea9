import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDocument } from '../domain/test-definition.ts';
import { parseTestFile } from '../domain/test-file.ts';
import { demoPaths } from './demo-data.ts';

/** A demo test with the file it came from (relative to demo/tests). */
export interface DemoTest {
  file: string;
  test: TestDocument;
}

/**
 * Read and validate every test file of the demo project, in file-name order. Throws the
 * TestValidationError of the first bad file: a broken bundled test is a bug, never skipped.
 */
export async function loadDemoTests(dir: string = demoPaths.tests): Promise<DemoTest[]> {
  const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort();
  const out: DemoTest[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    for (const test of parseTestFile(text, file)) out.push({ file, test });
  }
  return out;
}
