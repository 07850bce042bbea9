import { cp, readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { defined } from '../domain/defined.ts';
import { AppError } from '../domain/errors.ts';
import { slugify } from '../domain/project.ts';
import { parseTestFile } from '../domain/test-file.ts';
import {
  TestValidationError,
  type TestDocument,
  type TestIssue,
} from '../domain/test-definition.ts';
import type { TestStatus } from '../domain/test-definition.ts';
import type { Store } from '../store/connect.ts';

export interface ImportSummary {
  files: number;
  created: number;
  updated: number;
}

const testFilePattern = /\.(ya?ml|json)$/i;

/** Every test file under a folder (or the file itself), sorted for a stable import order. */
async function findTestFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((e: unknown) => {
    if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) {
      throw new AppError(
        'not_found',
        `nothing to import at ${path}: no such file or folder (looked for ${resolve(path)})`,
      );
    }
    throw e;
  });
  if (info.isFile()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && testFilePattern.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Parse every file first: one bad file aborts the import before anything is written. */
async function readTestFiles(root: string, files: string[]): Promise<ParsedTestFile[]> {
  const sources: TestSource[] = [];
  for (const file of files) {
    sources.push({ file: relative(root, file) || file, text: await readFile(file, 'utf8') });
  }
  return parseTestSources(sources);
}

/** A test file's name (for keys and messages) and its text. */
export interface TestSource {
  file: string;
  text: string;
}

export interface ParsedTestFile {
  file: string;
  tests: TestDocument[];
}

/** Parse every source; all problems of all files in one TestValidationError. */
export function parseTestSources(sources: TestSource[]): ParsedTestFile[] {
  const out: ParsedTestFile[] = [];
  const problems: string[] = [];
  const issues: TestIssue[] = [];
  for (const { file, text } of sources) {
    try {
      out.push({ file, tests: parseTestFile(text, file) });
    } catch (e) {
      if (!(e instanceof TestValidationError)) throw e;
      problems.push(e.message);
      issues.push(...e.issues);
    }
  }
  if (problems.length > 0) {
    const err = new TestValidationError(issues);
    err.message = problems.join('\n');
    throw err;
  }
  return out;
}

export interface ImportOptions {
  source?: string;
  defaultStatus?: TestStatus;
}

/**
 * Store parsed tests in one transaction. Each test is keyed (its `key`, else file path + name)
 * so importing the same files again updates them in place.
 */
export async function storeParsedTests(
  store: Store,
  projectId: string,
  parsed: ParsedTestFile[],
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { files: parsed.length, created: 0, updated: 0 };
  await store.transaction(async (tx) => {
    for (const { file, tests } of parsed) {
      for (const doc of tests) {
        const key = doc.key ?? `${file.replace(/\\/g, '/')}#${slugify(doc.name)}`;
        // No status in the file and none asked for: a new test is a draft, and one imported
        // before keeps its status (re-importing unchanged files must not send approved tests
        // back to draft, where a gated run would silently leave them out).
        const { created } = await tx.tests.upsertByKey(
          projectId,
          { ...doc, key },
          {
            source: opts.source ?? 'import',
            ...defined({ status: doc.status ?? opts.defaultStatus }),
          },
        );
        if (created) summary.created++;
        else summary.updated++;
      }
    }
  });
  return summary;
}

/** Import YAML/JSON tests from a folder into a project, in one transaction (storeParsedTests). */
export async function importTests(
  store: Store,
  projectId: string,
  path: string,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const files = await findTestFiles(path);
  if (files.length === 0) {
    throw new TestValidationError([
      { path: '', message: `no .yaml, .yml or .json test files under ${path}` },
    ]);
  }
  const info = await stat(path);
  const root = info.isFile() ? join(path, '..') : path;
  const parsed = await readTestFiles(root, files);
  return storeParsedTests(store, projectId, parsed, opts);
}

/** Folder that holds a project's upload files (`upload` steps resolve inside it). */
export function testDataDir(dataDir: string, projectId: string): string {
  return join(dataDir, 'test-data', projectId);
}

/** True when `inner` is `outer` or a path inside it. */
const within = (inner: string, outer: string): boolean => {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The `data/` folder beside imported tests, or null when there is none. Refused when it is, holds
 * or sits inside Greenlight's own data folder (a data folder named `data` next to the tests): the
 * copy would copy the copy into itself. Call it before storing the tests, so a refusal leaves
 * nothing half-imported.
 */
export async function testDataSource(dataDir: string, testsPath: string): Promise<string | null> {
  let source: string;
  try {
    const info = await stat(testsPath);
    source = join(info.isFile() ? join(testsPath, '..') : testsPath, 'data');
    if (!(await stat(source)).isDirectory()) return null;
  } catch {
    // A missing tests path is importTests' to report, with its own clear message.
    return null;
  }
  if (within(source, dataDir) || within(dataDir, source)) {
    throw new AppError(
      'validation_failed',
      `the data/ folder beside the tests (${resolve(source)}) overlaps Greenlight's data folder ` +
        `(${resolve(dataDir)}, GREENLIGHT_DATA_DIR); move the tests or set another data folder`,
    );
  }
  return source;
}

/**
 * Copy the `data/` folder that sits beside imported tests into the project's test-data folder,
 * so `upload` steps find their files on whichever machine runs them.
 */
export async function importTestData(
  dataDir: string,
  projectId: string,
  testsPath: string,
): Promise<number> {
  const source = await testDataSource(dataDir, testsPath);
  if (!source) return 0;
  const files = (await readdir(source, { recursive: true, withFileTypes: true })).filter((e) =>
    e.isFile(),
  );
  await cp(source, testDataDir(dataDir, projectId), { recursive: true });
  return files.length;
}
