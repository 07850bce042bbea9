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
const locatorText = z.strictObject({ locator: locatorSchema, ...textMatch });
const expectSpec = z
  .strictObject({
    visible: locatorSchema.optional(),
    hidden: locatorSchema.optional(),
    enabled: locatorSchema.optional(),
    disabled: locatorSchema.optional(),
    checked: locatorSchema.optional(),
    /** The element's text. */
    text: locatorText.optional(),
    /** An input's value. */
    value: locatorText.optional(),
    attribute: z
      .strictObject({ locator: locatorSchema, attribute: z.string().min(1), ...textMatch })
      .optional(),
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
  })
  .refine((e) => Object.values(e).some((v) => v !== undefined), {
    message: 'expect needs at least one assertion',
  });
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

export type GotoStep = z.output<typeof gotoStep>;
export type ClickStep = z.output<typeof clickStep>;
export type DblclickStep = z.output<typeof dblclickStep>;
export type FillStep = z.output<typeof fillStep>;
export type SelectStep = z.output<typeof selectStep>;
export type CheckStep = z.output<typeof checkStep>;
export type UncheckStep = z.output<typeof uncheckStep>;
export type PressStep = z.output<typeof pressStep>;
export type HoverStep = z.output<typeof hoverStep>;
export type UploadStep = z.output<typeof uploadStep>;
export type WaitStep = z.output<typeof waitStep>;
export type ExpectStep = z.output<typeof expectStep>;
export type ScreenshotStep = z.output<typeof screenshotStep>;
export type RequestStep = z.output<typeof requestStep>;
export type SetStep = z.output<typeof setStep>;
export type Step =
  | GotoStep
  | ClickStep
  | DblclickStep
  | FillStep
  | SelectStep
  | CheckStep
  | UncheckStep
  | PressStep
  | HoverStep
  | UploadStep
  | WaitStep
  | ExpectStep
  | ScreenshotStep
  | RequestStep
  | SetStep;

/** The one action key of a parsed step. */
export function stepAction(step: Step): StepAction {
  for (const a of stepActions) if (a in step) return a;
  throw new Error('step without an action'); // unreachable for parsed steps
}

/** A union of every step shape, for the published JSON Schema. */
export const anyStepSchema = z.union([
  gotoStep,
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
]);
