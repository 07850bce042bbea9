import type { FastifySchemaCompiler } from 'fastify';

type RouteSchemaDef = Parameters<FastifySchemaCompiler<unknown>>[0];
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Step } from '../domain/steps.ts';
import {
  MAX_TEST_STEPS,
  parseSteps,
  parseTestDocument,
  testDocumentSchema,
  TestValidationError,
  tooManySteps,
  type TestDocument,
  type TestIssue,
} from '../domain/test-definition.ts';

// Test bodies are validated by the domain's parser, not by the route's zod schema: its issues name
// the step ("step 3 › click.role: …") where a plain schema union would only say "invalid input".
// The zod schemas below still describe the bodies in the OpenAPI document.

/** Body of POST /tests: a whole test document. */
export const testCreateBody = testDocumentSchema;

const doc = testDocumentSchema.shape;

/**
 * Body of PATCH /tests/:testId: any fields of a test document, the others are kept; `null`
 * clears an optional field (description, suite, timeouts, variables).
 */
export const testPatchBody = z.strictObject({
  key: doc.key,
  name: doc.name.optional(),
  description: doc.description.nullable(),
  suite: doc.suite.nullable(),
  // `tags` defaults to [] in a document; in a patch an absent field must stay absent.
  tags: doc.tags.unwrap().optional(),
  status: doc.status,
  timeout: doc.timeout.nullable(),
  stepTimeout: doc.stepTimeout.nullable(),
  variables: doc.variables.nullable(),
  data: doc.data.nullable(),
  steps: doc.steps.optional(),
});

// Steps are checked one by one by parseStep below, for issues that name the step.
const patchScalars = testPatchBody.extend({ steps: z.unknown().optional() });

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** Parse a PATCH body; throws TestValidationError naming the field or the step. */
function parseTestPatch(raw: unknown): Partial<TestDocument> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TestValidationError([{ path: '', message: 'the body must be a JSON object' }]);
  }
  const rawSteps = (raw as { steps?: unknown }).steps;
  const issues: TestIssue[] = [];
  const scalars = patchScalars.safeParse(raw);
  if (!scalars.success) {
    for (const i of scalars.error.issues) issues.push({ path: pathOf(i.path), message: i.message });
  }
  const steps: Step[] = [];
  if ('steps' in raw) {
    if (!Array.isArray(rawSteps) || rawSteps.length === 0) {
      issues.push({ path: 'steps', message: 'steps must be a non-empty list' });
    } else if (rawSteps.length > MAX_TEST_STEPS) {
      issues.push({ path: 'steps', message: tooManySteps });
    } else {
      rawSteps.forEach((s, step) => {
        const r = parseSteps(s);
        if ('steps' in r) steps.push(...r.steps);
        else for (const i of r.issues) issues.push({ step, ...i });
      });
    }
  }
  if (issues.length > 0 || !scalars.success) throw new TestValidationError(issues);
  const patch: Partial<TestDocument> = {};
  for (const [k, v] of Object.entries(scalars.data)) {
    // A present key with an undefined value is how the store is told to clear a column.
    if (k !== 'steps' && k in raw) (patch as Record<string, unknown>)[k] = v ?? undefined;
  }
  if ('steps' in raw) patch.steps = steps;
  return patch;
}

/**
 * Route-level validator compiler for test routes: bodies go through the domain parsers (errors
 * reach the error handler as TestValidationError), params and query through zod as usual.
 */
export const testValidatorCompiler: FastifySchemaCompiler<unknown> = (route) => {
  if (route.httpPart === 'body' && route.schema === testCreateBody) {
    return (data: unknown) => {
      try {
        return { value: parseTestDocument(data) };
      } catch (e) {
        if (e instanceof TestValidationError) return { error: e };
        throw e;
      }
    };
  }
  if (route.httpPart === 'body' && route.schema === testPatchBody) {
    return (data: unknown) => {
      try {
        return { value: parseTestPatch(data) };
      } catch (e) {
        if (e instanceof TestValidationError) return { error: e };
        throw e;
      }
    };
  }
  return validatorCompiler(route as RouteSchemaDef & { schema: z.ZodType });
};
