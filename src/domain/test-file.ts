import { parseAllDocuments } from 'yaml';
import {
  parseTestDocument,
  TestValidationError,
  type TestDocument,
  type TestIssue,
} from './test-definition.ts';
import { jsonTextDepth, MAX_NESTING, tooDeep, valueDepth } from './nesting.ts';

/**
 * Parse the text of a test file (YAML or JSON). A file holds one test, a list of tests, or
 * `{ suite?, tags?, tests: [...] }` whose suite and tags apply to every test in it; YAML files may
 * also hold several `---` documents. Throws TestValidationError whose message names the file,
 * the test and the step.
 */
export function parseTestFile(text: string, file: string): TestDocument[] {
  let docs: unknown[];
  try {
    if (/\.json$/i.test(file)) {
      if (jsonTextDepth(text) > MAX_NESTING) throw new Error(tooDeep('the file'));
      docs = [JSON.parse(text)];
    } else {
      const parsed = parseAllDocuments(text);
      const list = Array.isArray(parsed) ? parsed : [parsed];
      for (const d of list) {
        const err = d.errors[0];
        if (err) throw new Error(`${err.message}`);
      }
      docs = list.map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);
      if (docs.some((d) => valueDepth(d) > MAX_NESTING)) throw new Error(tooDeep('the file'));
    }
  } catch (e) {
    throw new TestValidationError(
      [
        {
          path: '',
          message: `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
        },
      ],
      file,
    );
  }
  const raws: { raw: unknown; suite?: string; tags?: string[] }[] = [];
  for (const doc of docs) {
    if (Array.isArray(doc)) for (const t of doc) raws.push({ raw: t });
    else if (typeof doc === 'object' && doc !== null && 'tests' in doc) {
      const group = doc as { tests: unknown; suite?: unknown; tags?: unknown };
      if (!Array.isArray(group.tests)) {
        throw new TestValidationError(
          [{ path: 'tests', message: '`tests` must be a list of tests' }],
          file,
        );
      }
      const suite = typeof group.suite === 'string' ? group.suite : undefined;
      const tags = Array.isArray(group.tags)
        ? group.tags.filter((t): t is string => typeof t === 'string')
        : undefined;
      for (const t of group.tests)
        raws.push({ raw: t, ...(suite ? { suite } : {}), ...(tags ? { tags } : {}) });
    } else raws.push({ raw: doc });
  }
  if (raws.length === 0)
    throw new TestValidationError([{ path: '', message: 'the file holds no test' }], file);
  const issues: TestIssue[] = [];
  const tests: TestDocument[] = [];
  raws.forEach(({ raw, suite, tags }, i) => {
    let input = raw;
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const r = raw as Record<string, unknown>;
      input = {
        ...r,
        ...(suite !== undefined && r.suite === undefined ? { suite } : {}),
        ...(tags !== undefined
          ? { tags: [...new Set([...tags, ...((r.tags as string[] | undefined) ?? [])])] }
          : {}),
      };
    }
    try {
      tests.push(parseTestDocument(input, raws.length > 1 ? i : undefined));
    } catch (e) {
      if (e instanceof TestValidationError) issues.push(...e.issues);
      else throw e;
    }
  });
  if (issues.length > 0) throw new TestValidationError(issues, file);
  return tests;
}
