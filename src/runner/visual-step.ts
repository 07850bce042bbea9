import { writeFile } from 'node:fs/promises';
import type { ScreenshotSpec } from '../domain/describe-step.ts';
import type { Locator } from '../domain/locator.ts';
import {
  DEFAULT_MAX_DIFF_RATIO,
  DEFAULT_VISUAL_THRESHOLD,
  visualVariant,
  type VisualCheck,
} from '../domain/visual.ts';
import { StepFailure } from './errors.ts';
import { toPlaywright } from './locators.ts';
import { sleep, type StepContext } from './step-context.ts';
import { compareImages, pngSize, type ImageComparison } from './visual-compare.ts';

// A page may still be settling (a web font, an image decoding) when the step starts: a mismatch
// is taken again a few times, as Playwright's toHaveScreenshot does, before it counts.
const RETAKES = [150, 400];

/** A screenshot compared with its baseline: records a first baseline, fails on a visual change. */
export async function visualScreenshot(
  ctx: StepContext,
  spec: ScreenshotSpec & { compare: NonNullable<ScreenshotSpec['compare']> },
): Promise<{ name: string; path: string }> {
  const compare = spec.compare === true ? {} : spec.compare;
  const threshold = compare.threshold ?? DEFAULT_VISUAL_THRESHOLD;
  const maxDiffRatio = compare.maxDiffRatio ?? DEFAULT_MAX_DIFF_RATIO;
  const browser = ctx.context.browser()?.browserType().name() ?? 'chromium';
  const variant = visualVariant(browser, ctx.page.viewportSize());
  const path = await ctx.artifacts.file(`${spec.name}-actual`, '.png');
  const take = (): Promise<Buffer> => capture(ctx, spec, compare.mask ?? [], path);

  let actual = await take();
  const check: VisualCheck = {
    name: spec.name,
    variant,
    status: 'new',
    ...pngSize(actual),
    threshold,
    maxDiffRatio,
    actual: ctx.artifacts.relative(path),
  };
  const record = (): void => void (ctx.visual ?? []).push(check);
  const baseline = (await ctx.baselines?.get(spec.name, variant)) ?? null;
  if (!baseline) {
    record();
    return { name: spec.name, path: check.actual };
  }

  let result = compareImages(baseline, actual, threshold);
  for (const pause of RETAKES) {
    if (passes(result, maxDiffRatio) || ctx.signal.aborted) break;
    await sleep(pause, ctx.signal);
    actual = await take();
    result = compareImages(baseline, actual, threshold);
  }
  Object.assign(check, pngSize(actual));
  if (result.kind === 'compared') {
    check.diffPixels = result.diffPixels;
    check.diffRatio = result.diffRatio;
  }
  if (passes(result, maxDiffRatio)) {
    check.status = 'matched';
    record();
    return { name: spec.name, path: check.actual };
  }

  check.status = 'failed';
  check.message = failureMessage(result, threshold, maxDiffRatio);
  const expectedPath = await ctx.artifacts.file(`${spec.name}-expected`, '.png');
  await writeFile(expectedPath, baseline);
  check.expected = ctx.artifacts.relative(expectedPath);
  if (result.kind === 'compared') {
    const diffPath = await ctx.artifacts.file(`${spec.name}-diff`, '.png');
    await writeFile(diffPath, result.diffPng);
    check.diff = ctx.artifacts.relative(diffPath);
  }
  record();
  throw new StepFailure(check.message);
}

function passes(r: ImageComparison, maxDiffRatio: number): boolean {
  return r.kind === 'compared' && r.diffRatio <= maxDiffRatio;
}

function failureMessage(r: ImageComparison, threshold: number, maxDiffRatio: number): string {
  if (r.kind === 'size-mismatch') {
    const { expected: e, actual: a } = r;
    return `screenshot is ${a.width}x${a.height}, baseline is ${e.width}x${e.height}`;
  }
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  return (
    `${r.diffPixels} pixels (${pct(r.diffRatio)}) differ from the baseline, more than the ` +
    `allowed ${pct(maxDiffRatio)} (threshold ${threshold})`
  );
}

/** One stable screenshot: animations stopped, caret hidden, masked elements painted over. */
async function capture(
  ctx: StepContext,
  spec: ScreenshotSpec,
  mask: Locator[],
  path: string,
): Promise<Buffer> {
  const options = {
    path,
    timeout: ctx.timeout,
    animations: 'disabled' as const,
    caret: 'hide' as const,
    mask: mask.map((l) => toPlaywright(ctx.page, l)),
  };
  if (spec.locator) return toPlaywright(ctx.page, spec.locator).screenshot(options);
  return ctx.page.screenshot({ ...options, fullPage: spec.fullPage ?? false });
}
