import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { describeLocator } from '../domain/locator.ts';
import type { ClickStep, PressStep, SelectStep, SetStep, UploadStep } from '../domain/steps.ts';
import { StepFailure, TestInterrupted } from './errors.ts';
import { waitForUrl } from './expectations.ts';
import { locate, toPlaywright } from './locators.ts';
import type { ScreenshotSpec, WaitSpec } from '../domain/describe-step.ts';
import { sleep, type StepContext } from './step-context.ts';
import { normalizeWhitespace } from './text-match.ts';
import { visualScreenshot } from './visual-step.ts';

const allowedSchemes = new Set(['http:', 'https:', 'about:', 'data:']);

/** Navigate; relative paths resolve against baseUrl. Only web URLs: no file:// reads of the server. */
export async function goto(ctx: StepContext, url: string): Promise<void> {
  let target: URL;
  try {
    target = new URL(url, ctx.baseUrl || undefined);
  } catch {
    throw new StepFailure(`cannot navigate to ${JSON.stringify(url)}: not a URL and no baseUrl`);
  }
  if (!allowedSchemes.has(target.protocol)) {
    throw new StepFailure(`cannot navigate to ${target.protocol} URLs; use http or https`);
  }
  await ctx.page.goto(target.href, { timeout: ctx.timeout });
}

/** Click with the step's button, modifiers and force. */
export async function click(ctx: StepContext, step: ClickStep): Promise<void> {
  const el = await locate(ctx, step.click);
  await el.click({
    timeout: ctx.timeout,
    ...(step.button ? { button: step.button } : {}),
    ...(step.modifiers ? { modifiers: step.modifiers } : {}),
    ...(step.force ? { force: true } : {}),
  });
}

/** Choose option(s) of a <select>. */
export async function select(ctx: StepContext, step: SelectStep): Promise<void> {
  // A string matches an option's value or its label, as in Playwright.
  await (await locate(ctx, step.select)).selectOption(step.option, { timeout: ctx.timeout });
}

/** Press a key on an element, or on whatever has focus. */
export async function press(ctx: StepContext, step: PressStep): Promise<void> {
  if (step.on) await (await locate(ctx, step.on)).press(step.press, { timeout: ctx.timeout });
  else await ctx.page.keyboard.press(step.press);
}

/** Set files on a file input; paths must stay inside the test-data folder. */
export async function upload(ctx: StepContext, step: UploadStep): Promise<void> {
  const names = Array.isArray(step.files) ? step.files : [step.files];
  if (!ctx.testDataDir) throw new StepFailure('upload needs a test-data folder, and none is set');
  const root = resolve(ctx.testDataDir);
  const paths: string[] = [];
  for (const name of names) {
    const p = resolve(root, name);
    const rel = relative(root, p);
    if (isAbsolute(name) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new StepFailure(`upload file ${JSON.stringify(name)} is outside the test-data folder`);
    }
    const s = await stat(p).catch(() => null);
    if (!s?.isFile())
      throw new StepFailure(`upload file ${JSON.stringify(name)} not found in test data`);
    paths.push(p);
  }
  await (await locate(ctx, step.upload)).setInputFiles(paths, { timeout: ctx.timeout });
}

/** Every condition of a wait step, one after the other. */
export async function wait(ctx: StepContext, spec: WaitSpec): Promise<void> {
  if (spec.ms !== undefined) {
    // An explicit pause is the author's choice, bounded by the test's budget, not the step's.
    await sleep(Math.min(spec.ms, ctx.budget), ctx.signal);
    if (spec.ms > ctx.budget) throw new TestInterrupted('timeout');
  }
  if (spec.url) await waitForUrl(ctx, spec.url);
  if (spec.loadState) await ctx.page.waitForLoadState(spec.loadState, { timeout: ctx.timeout });
  for (const state of ['visible', 'hidden', 'attached', 'detached'] as const) {
    const loc = spec[state];
    if (loc) await toPlaywright(ctx.page, loc).waitFor({ state, timeout: ctx.timeout });
  }
}

/** A named screenshot of the page (or one element), recorded in the artifacts. */
export async function screenshot(
  ctx: StepContext,
  spec: ScreenshotSpec,
): Promise<{ name: string; path: string }> {
  if (spec.compare) return visualScreenshot(ctx, { ...spec, compare: spec.compare });
  const path = await ctx.artifacts.file(spec.name, '.png');
  if (spec.locator) {
    await toPlaywright(ctx.page, spec.locator).screenshot({ path, timeout: ctx.timeout });
  } else {
    await ctx.page.screenshot({ path, fullPage: spec.fullPage ?? false, timeout: ctx.timeout });
  }
  return { name: spec.name, path: ctx.artifacts.relative(path) };
}

/** Set a variable from a literal or from an element's text (normalized) or attribute. */
export async function setVariable(ctx: StepContext, step: SetStep): Promise<void> {
  if (step.value !== undefined || !step.from) {
    ctx.vars[step.set] = step.value ?? '';
    return;
  }
  const l = await locate(ctx, step.from);
  if (step.attribute) {
    const v = await l.getAttribute(step.attribute, { timeout: ctx.timeout });
    if (v === null) {
      throw new StepFailure(
        `${describeLocator(step.from)} has no attribute ${JSON.stringify(step.attribute)}`,
      );
    }
    ctx.vars[step.set] = v;
  } else {
    ctx.vars[step.set] = normalizeWhitespace((await l.textContent({ timeout: ctx.timeout })) ?? '');
  }
}
