import { parseTestDocument, type TestDocument } from '../domain/test-definition.ts';
import { apiContractTests } from './generate-api-contract.ts';
import {
  dedupeTests,
  generatedKinds,
  type ExistingTest,
  type GeneratedKind,
} from './generate-dedupe.ts';
import { formTests } from './generate-forms.ts';
import { journeyTests } from './generate-journeys.ts';
import type { GenerateOptions, RawTest } from './generate-shared.ts';
import { smokeTests } from './generate-smoke.ts';
import type { SiteMap } from './site-map.ts';

export type { ExistingTest, GeneratedKind } from './generate-dedupe.ts';
export type { GenerateOptions } from './generate-shared.ts';
export { generatedKinds } from './generate-dedupe.ts';

const DEFAULT_MAX_TESTS = 200;

/**
 * Turn a crawled site into draft tests, without any AI: a smoke test per page, journeys through
 * the main menu, form tests and API contract tests. Pure: the same site map and existing tests
 * give the same documents. Tests that already exist (same key, or the same steps) are left out,
 * so re-running after a new crawl proposes only what is new.
 */
export function generateTests(
  site: SiteMap,
  existing: readonly ExistingTest[],
  opts: GenerateOptions = {},
): TestDocument[] {
  const wanted = new Set<string>(opts.kinds ?? generatedKinds);
  const raw: RawTest[] = [];
  if (wanted.has('smoke')) raw.push(...smokeTests(site));
  if (wanted.has('journey')) raw.push(...journeyTests(site));
  if (wanted.has('form-validation') || wanted.has('form-submit')) {
    raw.push(...formTests(site, opts).filter((t) => wanted.has(kindOf(t.key) ?? '')));
  }
  if (wanted.has('api')) raw.push(...apiContractTests(site));
  // Validating here turns a generator bug into an error at once instead of a draft that a
  // reviewer approves and the runner then rejects.
  const docs = raw.map((t, i) => parseTestDocument(t, i));
  return dedupeTests(docs, existing).slice(0, opts.maxTests ?? DEFAULT_MAX_TESTS);
}

/** The kind segment of a generated key (`crawl:<kind>:…`). */
export function kindOf(key: string | undefined): GeneratedKind | undefined {
  const kind = key?.split(':')[1];
  return (generatedKinds as readonly string[]).includes(kind ?? '')
    ? (kind as GeneratedKind)
    : undefined;
}
