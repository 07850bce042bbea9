import { z } from 'zod';
import { describeChoices } from './option-text.ts';

/**
 * How a run executes, beyond which tests it runs. Resolved once when the run is created
 * (request → project defaults → built-in defaults) and stored with the run, so a recovered or
 * inspected run shows exactly what it used.
 */
export interface RunOptions {
  /** Record a Playwright trace of every test. */
  trace: boolean;
  /** Extra attempts for a test that fails or errors (0–5). */
  retries: number;
  /** A flaky test (failed, then passed on retry) fails the run. */
  failOnFlaky: boolean;
  browser: BrowserName;
  /** A device preset (`desktop`, `mobile`, or a Playwright device name); null = desktop. */
  device: string | null;
  /** Custom viewport; wins over the device's. */
  viewport: Viewport | null;
  /** BCP 47 locale such as `de-DE`. */
  locale: string | null;
  /** IANA time zone such as `Europe/Berlin`. */
  timezone: string | null;
  /** Network throttling preset (Chromium only). */
  network: NetworkPreset | null;
  /** `failure`: a screenshot of the failing step; `every-step`: one after every step too. */
  screenshots: ScreenshotMode;
  /** Record a video of every test. */
  video: boolean;
  /** Whole-run time limit in ms; null = none. */
  timeoutMs: number | null;
  /** Name of a project data set: tests that use data run once per row of it. */
  dataSet: string | null;
  /** Heal a locator that finds nothing from alternatives recorded by earlier runs (false: fail). */
  healing: boolean;
}

export const browserNames = ['chromium', 'firefox', 'webkit'] as const;
export type BrowserName = (typeof browserNames)[number];
export const networkPresets = ['slow-3g', 'fast-3g', '4g', 'offline'] as const;
export type NetworkPreset = (typeof networkPresets)[number];
export const screenshotModes = ['failure', 'every-step'] as const;
export type ScreenshotMode = (typeof screenshotModes)[number];
export interface Viewport {
  width: number;
  height: number;
}

export const MAX_RETRIES = 5;
/** Extra attempts of a failing test: the same bounds for runs, triggers, schedules and projects. */
export const retriesSchema = z.number().int().min(0).max(MAX_RETRIES);
export const MAX_RUN_TIMEOUT_MS = 24 * 3_600_000;
/** A whole-run time limit in ms: the API's `timeoutMs` and the CLI's `--timeout` both check it. */
export const runTimeoutMsSchema = z.number().int().positive().max(MAX_RUN_TIMEOUT_MS);

export const defaultRunOptions: Readonly<RunOptions> = Object.freeze({
  trace: false,
  retries: 0,
  failOnFlaky: false,
  browser: 'chromium',
  device: null,
  viewport: null,
  locale: null,
  timezone: null,
  network: null,
  screenshots: 'failure',
  video: false,
  timeoutMs: null,
  dataSet: null,
  healing: true,
});

const viewportSchema = z.strictObject({
  width: z.number().int().min(200).max(7680),
  height: z.number().int().min(200).max(4320),
});

/** What a request may set; anything omitted falls back to the project's, then the defaults. */
export const runOptionsInputShape = {
  trace: z.boolean().optional().describe('Record a Playwright trace of every test'),
  retries: retriesSchema
    .optional()
    .describe("Extra attempts for a failing test (default: the project's)"),
  failOnFlaky: z
    .boolean()
    .optional()
    .describe('A test that failed and then passed on retry fails the run'),
  browser: z
    .enum(browserNames)
    .optional()
    .describe(describeChoices(browserNames, defaultRunOptions.browser)),
  device: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('desktop, mobile, or a Playwright device name such as "iPhone 13"'),
  viewport: viewportSchema.optional(),
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 locale such as en-US')
    .optional(),
  timezone: z.string().min(1).max(64).optional().describe('IANA time zone, e.g. Europe/Berlin'),
  network: z.enum(networkPresets).optional().describe('Throttling preset (Chromium)'),
  screenshots: z.enum(screenshotModes).optional(),
  video: z.boolean().optional(),
  timeoutMs: runTimeoutMsSchema.optional(),
  dataSet: z.string().min(1).max(100).optional(),
  healing: z
    .boolean()
    .optional()
    .describe('Heal locators that find nothing from recorded alternatives (default true)'),
};
export const runOptionsInputSchema = z.strictObject(runOptionsInputShape);
export type RunOptionsInput = z.output<typeof runOptionsInputSchema>;

/** Layer the given option sets over the defaults; undefined never overrides. */
export function resolveRunOptions(
  ...layers: (Partial<RunOptions> | RunOptionsInput | undefined)[]
): RunOptions {
  const out: RunOptions = { ...defaultRunOptions };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v !== undefined && k in out) (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}
