import type { Locator as PwLocator } from 'playwright-core';
import type { Locator } from '../domain/locator.ts';
import { taggedStep, type Step } from '../domain/steps.ts';
import { click, goto, press, screenshot, select, setVariable, upload, wait } from './actions.ts';
import { runExpect } from './expectations.ts';
import { locate } from './locators.ts';
import { runRequest } from './request-step.ts';
import type { StepContext } from './step-context.ts';

/** What a step leaves behind besides its status. */
export interface StepOutput {
  screenshot?: { name: string; path: string };
}

/** Run one step (variables already substituted); throws on failure. */
export async function runStep(ctx: StepContext, step: Step): Promise<StepOutput> {
  const t = { timeout: ctx.timeout };
  // Actions on one element go through locate, which may heal a locator that finds nothing.
  const el = (loc: Locator): Promise<PwLocator> => locate(ctx, loc);
  const tagged = taggedStep(step);
  switch (tagged.action) {
    case 'goto':
      await goto(ctx, tagged.step.goto);
      break;
    case 'reload':
      await ctx.page.reload(t);
      break;
    case 'back':
      // As in Playwright, no earlier entry is not an error; the next expectation tells.
      await ctx.page.goBack(t);
      break;
    case 'forward':
      await ctx.page.goForward(t);
      break;
    case 'dispatch': {
      const s = tagged.step;
      await (await el(s.dispatch)).dispatchEvent(s.event, undefined, t);
      break;
    }
    case 'click':
      await click(ctx, tagged.step);
      break;
    case 'dblclick':
      await (await el(tagged.step.dblclick)).dblclick(t);
      break;
    case 'fill':
      await (await el(tagged.step.fill)).fill(tagged.step.value, t);
      break;
    case 'select':
      await select(ctx, tagged.step);
      break;
    case 'check':
      await (await el(tagged.step.check)).check(t);
      break;
    case 'uncheck':
      await (await el(tagged.step.uncheck)).uncheck(t);
      break;
    case 'press':
      await press(ctx, tagged.step);
      break;
    case 'hover':
      await (await el(tagged.step.hover)).hover(t);
      break;
    case 'upload':
      await upload(ctx, tagged.step);
      break;
    case 'wait':
      await wait(ctx, tagged.step.wait);
      break;
    case 'expect':
      await runExpect(ctx, tagged.step.expect);
      break;
    case 'screenshot':
      return { screenshot: await screenshot(ctx, tagged.step.screenshot) };
    case 'request':
      await runRequest(ctx, tagged.step.request);
      break;
    case 'set':
      await setVariable(ctx, tagged.step);
      break;
  }
  return {};
}
