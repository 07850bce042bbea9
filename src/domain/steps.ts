import { z } from 'zod';
import { locatorSchema } from './locator.ts';
import { accessibleSchema } from './accessibility.ts';
import { regexProblem } from './safe-regex.ts';

/** Options every step accepts beside its action key. */
const common = {
  /** A label shown in results instead of the generated description. */
  name: z.string().optional(),
  /** Step timeout in ms (default: the test's stepTimeout, 10 s). */
  timeout: z.number().int().positive().max(600_000).optional(),
};

/** A user's regular expression, checked when the test is saved (see domain/safe-regex.ts). */
const safePattern = z.string().superRefine((pattern, ctx) => {
  const problem = regexProblem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const textMatch = {
  equals: z.string().optional(),
  contains: z.string().optional(),
  /** A regular expression (JavaScript syntax, no slashes; no look-around or back-references). */
  matches: safePattern.optional(),
  /** Case-insensitive comparison for equals/contains/matches. */
  ignoreCase: z.boolean().optional(),
};
const textMatchSchema = z.strictObject(textMatch);
export type TextMatch = z.output<typeof textMatchSchema>;

/** A string means "equals"; an object picks the comparison. */
const stringOrMatch = z.union([z.string().transform((equals) => ({ equals })), textMatchSchema]);

const gotoStep = z.strictObject({ goto: z.string().min(1), ...common });
/** History steps take no argument: `reload: true` (Playwright's page.reload/goBack/goForward). */
const reloadStep = z.strictObject({ reload: z.literal(true), ...common });
const backStep = z.strictObject({ back: z.literal(true), ...common });
const forwardStep = z.strictObject({ forward: z.literal(true), ...common });
const dispatchStep = z.strictObject({
  /** Fire a DOM event on the element (locator.dispatchEvent), e.g. `event: click` or `input`. */
  dispatch: locatorSchema,
  event: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_:.-]{0,63}$/, 'an event type such as click or input'),
  ...common,
});
const clickStep = z.strictObject({
  click: locatorSchema,
  button: z.enum(['left', 'right', 'middle']).optional(),
  modifiers: z.array(z.enum(['Alt', 'Control', 'Meta', 'Shift'])).optional(),
  force: z.boolean().optional(),
  ...common,
});
const dblclickStep = z.strictObject({ dblclick: locatorSchema, ...common });
const fillStep = z.strictObject({ fill: locatorSchema, value: z.string(), ...common });
const selectStep = z.strictObject({
  select: locatorSchema,
  /** Option value(s) or label(s). */
  option: z.union([z.string(), z.array(z.string()).min(1)]),
  ...common,
});
const checkStep = z.strictObject({ check: locatorSchema, ...common });
const uncheckStep = z.strictObject({ uncheck: locatorSchema, ...common });
const pressStep = z.strictObject({
  /** A key such as `Enter` or `Control+A`, pressed on `on` if given, else on the page. */
  press: z.string().min(1),
  on: locatorSchema.optional(),
  ...common,
});
const hoverStep = z.strictObject({ hover: locatorSchema, ...common });
const uploadStep = z.strictObject({
  upload: locatorSchema,
  /** Paths relative to the project's test-data folder. */
  files: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  ...common,
});
const waitSpec = z
  .strictObject({
    ms: z.number().int().nonnegative().max(600_000).optional(),
    /** Wait until the URL matches (a path relative to baseUrl, an absolute URL, or `matches`). */
    url: stringOrMatch.optional(),
    loadState: z.enum(['load', 'domcontentloaded', 'networkidle']).optional(),
    visible: locatorSchema.optional(),
    hidden: locatorSchema.optional(),
    attached: locatorSchema.optional(),
    detached: locatorSchema.optional(),
  })
  .refine((w) => Object.values(w).some((v) => v !== undefined), {
    message: 'wait needs one of: ms, url, loadState, visible, hidden, attached, detached',
  });
const waitStep = z.strictObject({
  wait: z.union([
    z
      .number()
      .int()
      .nonnegative()
      .max(600_000)
      .transform((ms) => ({ ms })),
    waitSpec,
  ]),
  ...common,
});
const storageSchema = z.strictObject({
  key: z.string().min(1),
  area: z.enum(['local', 'session']).default('local'),
  ...textMatch,
  /** JSON paths (`$.items.length`, `$.user.id`) in the parsed value to expected values. */
  json: z.record(z.string(), z.unknown()).optional(),
});
export type StorageExpectation = z.output<typeof storageSchema>;
const cookieSchema = z.strictObject({ name: z.string().min(1), ...textMatch });
export type CookieExpectation = z.output<typeof cookieSchema>;
const locatorText = z.strictObject({ locator: locatorSchema, ...textMatch });

const oneOf = (o: object, keys: readonly string[]): boolean =>
  keys.filter((k) => (o as Record<string, unknown>)[k] !== undefined).length === 1;

/** One item of a list comparison: a string (equal text) or one of equals/contains/matches. */
const listItem = z.union([
  z.string().transform((equals): TextMatch => ({ equals })),
  z
    .strictObject({
      equals: z.string().optional(),
      contains: z.string().optional(),
      matches: safePattern.optional(),
    })
    .refine((i) => oneOf(i, ['equals', 'contains', 'matches']), {
      message: 'a list item is a string or takes exactly one of equals, contains, matches',
    }),
]);
const textsSchema = z
  .strictObject({
    locator: locatorSchema,
    /** Every element's text, in order and as many (like toHaveText([...])). */
    equals: z.array(listItem).max(500).optional(),
    /** Texts found in this order, each inside one element; others may come between (toContainText([...])). */
    contains: z.array(z.string()).max(500).optional(),
    ignoreCase: z.boolean().optional(),
  })
  .refine((t) => oneOf(t, ['equals', 'contains']), {
    message: 'texts takes exactly one of equals (a list) or contains (a list)',
  });
export type TextsExpectation = z.output<typeof textsSchema>;
const classItem = z.union([
  z.string().transform((equals): TextMatch => ({ equals })),
  z.strictObject({ matches: safePattern }),
]);
const classSchema = z
  .strictObject({
    locator: locatorSchema,
    /** The whole class attribute (toHaveClass), or one per element in order (a list). */
    equals: z.union([z.string(), z.array(classItem).max(500)]).optional(),
    /** These classes, space separated, among the element's (toContainClass); or one per element. */
    contains: z.union([z.string(), z.array(z.string()).max(500)]).optional(),
    /** The class attribute matches this regular expression (toHaveClass(/…/)). */
    matches: safePattern.optional(),
  })
  .refine((c) => oneOf(c, ['equals', 'contains', 'matches']), {
    message: 'class takes exactly one of equals, contains, matches',
  });
export type ClassExpectation = z.output<typeof classSchema>;

/** Expectations that can be negated under `not` (all but the page-wide checks). */
const negatableFields = {
  visible: locatorSchema.optional(),
  hidden: locatorSchema.optional(),
  enabled: locatorSchema.optional(),
  disabled: locatorSchema.optional(),
  checked: locatorSchema.optional(),
  /** The element's text. */
  text: locatorText.optional(),
  /** The texts of every element the locator finds, as a list. */
  texts: textsSchema.optional(),
  /** An input's value. */
  value: locatorText.optional(),
  attribute: z
    .strictObject({ locator: locatorSchema, attribute: z.string().min(1), ...textMatch })
    .optional(),
  /** The class attribute: exact, contained classes, a pattern, or a list over elements. */
  class: classSchema.optional(),
  count: z
    .strictObject({
      locator: locatorSchema,
      equals: z.number().int().nonnegative().optional(),
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** A path relative to baseUrl or an absolute URL (equality), or a match object. */
  url: stringOrMatch.optional(),
  title: stringOrMatch.optional(),
  /** An editable element with no value, or an element with no text and no children. */
  empty: locatorSchema.optional(),
  /** The element has keyboard focus. */
  focused: locatorSchema.optional(),
  /** A localStorage/sessionStorage entry: present, its text, or JSON paths in its value. */
  storage: storageSchema.optional(),
  /** A cookie of the page's context: present, or its value. */
  cookie: cookieSchema.optional(),
};

const anyDefined = (o: object): boolean => Object.values(o).some((v) => v !== undefined);
const comparisons = ['equals', 'contains', 'matches'] as const;

/**
 * `not: { … }`: each assertion inside must not hold (Playwright's `expect(…).not`), retried like
 * every expectation. One comparison per assertion, so "not" means one thing and exports as one
 * `.not` matcher: `not: { text: { locator, equals: a, contains: b } }` is refused.
 */
const notSpec = z
  .strictObject(negatableFields)
  .superRefine((n, ctx) => {
    for (const key of [
      'text',
      'value',
      'attribute',
      'url',
      'title',
      'cookie',
      'storage',
    ] as const) {
      const m = n[key] as (TextMatch & { json?: Record<string, unknown> }) | undefined;
      if (!m) continue;
      const count =
        comparisons.filter((k) => m[k] !== undefined).length + Object.keys(m.json ?? {}).length;
      if (count > 1) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `inside not, ${key} takes one comparison (write two not checks for two)`,
        });
      }
    }
  })
  .refine(anyDefined, { message: 'not needs at least one assertion' });

const expectSpec = z
  .strictObject({
    ...negatableFields,
    /**
     * No console error and no uncaught page error so far in this test; `ignore` lists regular
     * expressions (JavaScript syntax, no slashes) of messages that do not count.
     */
    noConsoleErrors: z
      .union([
        z.literal(true),
        z.strictObject({ ignore: z.array(safePattern.pipe(z.string().min(1))).optional() }),
      ])
      .optional(),
    /** The page passes an axe-core check (see domain/accessibility.ts). */
    accessible: accessibleSchema.optional(),
    /** Assertions that must not hold, e.g. `not: { attribute: { locator, attribute: disabled } }`. */
    not: notSpec.optional(),
  })
  .refine(anyDefined, { message: 'expect needs at least one assertion' });
export type NegatedExpectations = z.output<typeof notSpec>;
const expectStep = z.strictObject({ expect: expectSpec, ...common });
const visualCompareSchema = z.strictObject({
  /** Pixelmatch colour threshold per pixel (0..1, default 0.1). */
  threshold: z.number().min(0).max(1).optional(),
  /** Share of pixels allowed to differ (0..1, default 0). */
  maxDiffRatio: z.number().min(0).max(1).optional(),
  /** Elements hidden in both images, e.g. a clock. */
  mask: z.array(locatorSchema).min(1).max(50).optional(),
});
const screenshotStep = z.strictObject({
  screenshot: z.union([
    z
      .string()
      .min(1)
      .transform((name) => ({ name })),
    z.strictObject({
      name: z.string().min(1),
      fullPage: z.boolean().optional(),
      locator: locatorSchema.optional(),
      /** Compare with the stored baseline (visual regression); `true` takes the defaults. */
      compare: z.union([z.literal(true), visualCompareSchema]).optional(),
    }),
  ]),
  ...common,
});
const requestSpec = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
  /** Relative to baseUrl or absolute. */
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).optional(),
  /** JSON body (sent with content-type application/json). */
  json: z.unknown().optional(),
  /** Raw body. */
  body: z.string().optional(),
  expect: z
    .strictObject({
      status: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
      headers: z.record(z.string(), stringOrMatch).optional(),
      /** JSONPath-like paths (`$.items[0].id`) to expected values. */
      json: z.record(z.string(), z.unknown()).optional(),
      bodyContains: z.string().optional(),
    })
    .optional(),
  /** Variables to set from the response: NAME → `$.path` (or `header:name`, `status`). */
  capture: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
});
const requestStep = z.strictObject({ request: requestSpec, ...common });
const setStep = z
  .strictObject({
    set: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are letters, digits and _'),
    /** Text of this element (or its `attribute`). */
    from: locatorSchema.optional(),
    attribute: z.string().optional(),
    /** A literal value (may use other variables). */
    value: z.string().optional(),
    ...common,
  })
  .refine((s) => (s.from === undefined) !== (s.value === undefined), {
    message: 'set needs exactly one of `from` (a locator) or `value`',
  });

/** Each action key with the schema of the step object that carries it. */
export const stepSchemas = {
  goto: gotoStep,
  reload: reloadStep,
  back: backStep,
  forward: forwardStep,
  dispatch: dispatchStep,
  click: clickStep,
  dblclick: dblclickStep,
  fill: fillStep,
  select: selectStep,
  check: checkStep,
  uncheck: uncheckStep,
  press: pressStep,
  hover: hoverStep,
  upload: uploadStep,
  wait: waitStep,
  expect: expectStep,
  screenshot: screenshotStep,
  request: requestStep,
  set: setStep,
} as const;

export type StepAction = keyof typeof stepSchemas;
export const stepActions = Object.keys(stepSchemas) as StepAction[];

export type ClickStep = z.output<typeof clickStep>;
export type SelectStep = z.output<typeof selectStep>;
export type PressStep = z.output<typeof pressStep>;
export type UploadStep = z.output<typeof uploadStep>;
export type ExpectStep = z.output<typeof expectStep>;
export type RequestStep = z.output<typeof requestStep>;
export type SetStep = z.output<typeof setStep>;
/** The step object that carries action `A`. */
export type StepOf<A extends StepAction> = z.output<(typeof stepSchemas)[A]>;

export type Step = { [A in StepAction]: StepOf<A> }[StepAction];

/**
 * A step with its action beside it: `switch (t.action)` narrows `t.step` to the one shape that
 * carries that key, with no cast. The stored format keys a step by its action (`{ click: … }`)
 * and has no tag field of its own, so the tag is added here rather than in the JSON.
 */
export type TaggedStep = { [A in StepAction]: { action: A; step: StepOf<A> } }[StepAction];

/** The one action key of a parsed step. */
export function stepAction(step: Step): StepAction {
  for (const a of stepActions) if (a in step) return a;
  throw new Error('step without an action'); // unreachable for parsed steps
}

/** The step tagged with its action (see TaggedStep). */
export function taggedStep(step: Step): TaggedStep {
  // stepAction found the key only the member for that action has: the pair is that member.
  return { action: stepAction(step), step } as TaggedStep;
}

/**
 * `within: <locator>` with `steps: [...]`: every locator in those steps is looked up inside the
 * container. A shorthand, expanded when the test is parsed (domain/step-locators.ts): each inner
 * step is stored, run and reported as itself with its locators chained under `within`.
 */
export const withinBlockSchema = z.strictObject({
  within: locatorSchema,
  steps: z.array(z.unknown()).min(1, 'a within block needs at least one step').max(500),
});

/** A union of every step shape and the within block, for the published JSON Schema. */
export const anyStepSchema: z.ZodType = z.union([
  gotoStep,
  reloadStep,
  backStep,
  forwardStep,
  dispatchStep,
  clickStep,
  dblclickStep,
  fillStep,
  selectStep,
  checkStep,
  uncheckStep,
  pressStep,
  hoverStep,
  uploadStep,
  waitStep,
  expectStep,
  screenshotStep,
  requestStep,
  setStep,
  z.strictObject({
    within: locatorSchema,
    steps: z.array(z.lazy(() => anyStepSchema)).min(1),
  }),
]);
