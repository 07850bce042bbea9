import type { Locator as PwLocator } from 'playwright-core';
import type { Locator } from '../domain/locator.ts';
import type {
  CheckStep,
  DispatchStep,
  ClickStep,
  DblclickStep,
  ExpectStep,
  FillStep,
  GotoStep,
  HoverStep,
  PressStep,
  RequestStep,
  ScreenshotStep,
  SelectStep,
  SetStep,
  Step,
  UncheckStep,
  UploadStep,
  WaitStep,
} from '../domain/steps.ts';
import { stepAction } from '../domain/steps.ts';
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
  // stepAction tells which member of the union this is; the casts only restate it.
  switch (stepAction(step)) {
    case 'goto':
      await goto(ctx, (step as GotoStep).goto);
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
      const s = step as DispatchStep;
      await (await el(s.dispatch)).dispatchEvent(s.event, undefined, t);
      break;
    }
    case 'click':
      await click(ctx, step as ClickStep);
      break;
    case 'dblclick':
      await (await el((step as DblclickStep).dblclick)).dblclick(t);
      break;
    case 'fill':
      await (await el((step as FillStep).fill)).fill((step as FillStep).value, t);
      break;
    case 'select':
      await select(ctx, step as SelectStep);
      break;
    case 'check':
      await (await el((step as CheckStep).check)).check(t);
      break;
    case 'uncheck':
      await (await el((step as UncheckStep).uncheck)).uncheck(t);
      break;
    case 'press':
      await press(ctx, step as PressStep);
      break;
    case 'hover':
      await (await el((step as HoverStep).hover)).hover(t);
      break;
    case 'upload':
      await upload(ctx, step as UploadStep);
      break;
    case 'wait':
      await wait(ctx, (step as WaitStep).wait);
      break;
    case 'expect':
      await runExpect(ctx, (step as ExpectStep).expect);
      break;
    case 'screenshot':
      return { screenshot: await screenshot(ctx, (step as ScreenshotStep).screenshot) };
    case 'request':
      await runRequest(ctx, (step as RequestStep).request);
      break;
    case 'set':
      await setVariable(ctx, step as SetStep);
      break;
  }
  return {};
}
