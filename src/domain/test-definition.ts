import { z } from 'zod';
import {
  anyStepSchema,
  stepActions,
  stepSchemas,
  withinBlockSchema,
  type Step,
  type StepAction,
} from './steps.ts';
import { scopeStep } from './step-locators.ts';
import { defined } from './defined.ts';

export const testStatuses = ['draft', 'approved', 'rejected'] as const;
export type TestStatus = (typeof testStatuses)[number];

const tagSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'tags are letters, digits, _ . : -');

/**
 * Most steps one test may have. Every step costs a result entry, a line in reports and the run's
 * stored outcome; a 100,000-step file ran for minutes and stored a 9 MB result. Far above any
 * written or generated test: a longer flow is several tests.
 */
export const MAX_TEST_STEPS = 2_000;
export const tooManySteps = `a test has at most ${MAX_TEST_STEPS} steps; split it into several tests`;

/** The document a user writes: everything but server-assigned fields. */
const testDocumentShape = {
  /** Stable key inside a project; re-importing a file with the same key updates the test. */
  key: z.string().min(1).max(200).optional(),
  name: z.string().min(1).max(300),
  description: z.string().max(5000).optional(),
  suite: z.string().min(1).max(200).optional(),
  tags: z.array(tagSchema).max(50).default([]),
  status: z.enum(testStatuses).optional(),
  /** Whole-test timeout in ms (default 60 s). */
  timeout: z.number().int().positive().max(3_600_000).optional(),
  /** Default per-step timeout in ms (default 10 s). */
  stepTimeout: z.number().int().positive().max(600_000).optional(),
  /** Variables local to this test; environment variables of the same name win. */
  variables: z.record(z.string(), z.string()).optional(),
  /**
   * Globs of repository paths (`src/cart/**`) or URL paths (`/cart/*`) this test covers: the
   * `changed` selection strategy runs it when a changed file or page matches.
   */
  covers: z.array(z.string().min(1).max(500)).max(100).optional(),
  /** Name of a project data set: the test runs once per row, the row's columns as variables. */
  data: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a data set name: letters, digits, _ . -')
    .optional(),
  steps: z
    .array(z.unknown())
    .min(1, 'a test needs at least one step')
    .max(MAX_TEST_STEPS, tooManySteps),
};

/** A parsed, valid test document (steps validated). */
export interface TestDocument {
  key?: string;
  name: string;
  description?: string;
  suite?: string;
  tags: string[];
  status?: TestStatus;
  timeout?: number;
  stepTimeout?: number;
  variables?: Record<string, string>;
  covers?: string[];
  data?: string;
  steps: Step[];
}

export const DEFAULT_TEST_TIMEOUT_MS = 60_000;
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;

/** One problem found in a test document. */
export interface TestIssue {
  /** Index of the test in its file (when a file holds many). */
  testIndex?: number;
  testName?: string;
  /** 0-based index of the step. */
  step?: number;
  /** Path inside the test or step, e.g. `click.role`. */
  path: string;
  message: string;
}

function formatIssue(issue: TestIssue, file?: string): string {
  const where = [
    file,
    issue.testName !== undefined
      ? `test "${issue.testName}"`
      : issue.testIndex !== undefined
        ? `test #${issue.testIndex + 1}`
        : undefined,
    issue.step !== undefined ? `step ${issue.step + 1}` : undefined,
    issue.path || undefined,
  ].filter(Boolean);
  return `${where.join(' › ')}: ${issue.message}`;
}

export class TestValidationError extends Error {
  readonly issues: TestIssue[];
  constructor(issues: TestIssue[], file?: string) {
    super(issues.map((i) => formatIssue(i, file)).join('\n'));
    this.name = 'TestValidationError';
    this.issues = issues;
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** Validate one step; returns the parsed step or the issues (path relative to the step). */
export function parseStep(
  raw: unknown,
): { step: Step } | { issues: { path: string; message: string }[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      issues: [
        {
          path: '',
          message: `a step is an object such as { goto: "/" }; got ${JSON.stringify(raw)}`,
        },
      ],
    };
  }
  const actions = Object.keys(raw).filter((k): k is StepAction =>
    (stepActions as string[]).includes(k),
  );
  if (actions.length !== 1) {
    const keys = Object.keys(raw).join(', ') || 'nothing';
    return {
      issues: [
        {
          path: '',
          message:
            actions.length === 0
              ? `unknown step (keys: ${keys}); a step has one action of: ${stepActions.join(', ')} (or is a within block)`
              : `a step has exactly one action; found ${actions.join(' and ')}`,
        },
      ],
    };
  }
  const result = stepSchemas[actions[0] as StepAction].safeParse(raw);
  if (result.success) return { step: result.data as Step };
  return { issues: result.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })) };
}

type StepIssue = { path: string; message: string };

/**
 * Validate one entry of a test's steps: a step, or a `within` block expanded into its steps,
 * each with its locators scoped to the block's container (blocks may nest).
 */
export function parseSteps(raw: unknown): { steps: Step[] } | { issues: StepIssue[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('within' in raw)) {
    const r = parseStep(raw);
    return 'step' in r ? { steps: [r.step] } : r;
  }
  const block = withinBlockSchema.safeParse(raw);
  if (!block.success) {
    return {
      issues: block.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })),
    };
  }
  const steps: Step[] = [];
  const issues: StepIssue[] = [];
  block.data.steps.forEach((s, i) => {
    const r = parseSteps(s);
    if ('steps' in r) steps.push(...r.steps.map((st) => scopeStep(st, block.data.within)));
    else {
      for (const issue of r.issues) {
        issues.push({
          path: `steps[${i}]${issue.path ? `.${issue.path}` : ''}`,
          message: issue.message,
        });
      }
    }
  });
  return issues.length > 0 ? { issues } : { steps };
}

/** Validate a test document; throws TestValidationError naming the test and step. */
export function parseTestDocument(raw: unknown, testIndex?: number): TestDocument {
  const issues: TestIssue[] = [];
  const shape = z.strictObject(testDocumentShape).safeParse(raw);
  const name =
    typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string'
      ? (raw as { name: string }).name
      : undefined;
  const base = defined({ testIndex, testName: name });
  if (!shape.success) {
    for (const i of shape.error.issues) {
      if (i.path[0] === 'steps' && typeof i.path[1] === 'number') continue;
      issues.push({ ...base, path: pathOf(i.path), message: i.message });
    }
  }
  const rawSteps = (raw as { steps?: unknown })?.steps;
  const steps: Step[] = [];
  // Over the limit the count is the issue: checking each of 100,000 steps would be wasted work.
  if (Array.isArray(rawSteps) && rawSteps.length <= MAX_TEST_STEPS) {
    rawSteps.forEach((s, idx) => {
      const r = parseSteps(s);
      if ('steps' in r) steps.push(...r.steps);
      else for (const i of r.issues) issues.push({ ...base, step: idx, ...i });
    });
  }
  if (issues.length > 0 || !shape.success) throw new TestValidationError(issues);
  return { ...shape.data, steps } as TestDocument;
}

/** The JSON Schema-able zod shape of a test document (steps as the union of all step shapes). */
export const testDocumentSchema = z.strictObject({
  ...testDocumentShape,
  steps: z.array(anyStepSchema).min(1).max(MAX_TEST_STEPS),
});

/** JSON Schema of the test document, served at /api/v1/schemas/test.json. */
export function testJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(testDocumentSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { ...schema, $id: 'https://greenlight.dev/schemas/test.json', title: 'Greenlight test' };
}
