import type { BrowserContext, Page, Video } from 'playwright-core';
import type { BrowserPool } from '../browser/browser-pool.ts';
import { contextOptionsFor, type Emulation } from '../browser/devices.ts';
import { throttle } from '../browser/network.ts';
import type { Artifacts, StepResult, TestResult } from '../domain/run.ts';
import type { ScreenshotMode } from '../domain/run-options.ts';
import { stepAction, type Step } from '../domain/steps.ts';
import { DEFAULT_STEP_TIMEOUT_MS, DEFAULT_TEST_TIMEOUT_MS } from '../domain/test-definition.ts';
import { makeMasker, maskDeep, substituteDeep, UnknownVariableError } from '../domain/variables.ts';
import type { BaselineSource, VisualCheck } from '../domain/visual.ts';
import type { LocatorMemory } from '../domain/locator-memory.ts';
import { AttemptFiles } from './artifacts.ts';
import { describeStep } from '../domain/describe-step.ts';
import {
  isBrowserGoneError,
  isTimeoutError,
  StepFailure,
  summarizeError,
  TestInterrupted,
} from './errors.ts';
import { LocatorHealer } from './healing.ts';
import { PageEvents } from './page-events.ts';
import { runStep } from './run-step.ts';
import type { StepContext } from './step-context.ts';

export interface RunTestInput {
  /** The pool's lane (one browser process per lane); the engine passes its worker's. */
  lane?: number;
  test: {
    id: string;
    name: string;
    steps: Step[];
    variables: Record<string, string>;
    timeoutMs: number | null;
    stepTimeoutMs: number | null;
  };
  baseUrl: string;
  /** Environment variables; they win over test.variables. */
  variables: Record<string, string>;
  /** Secret values, masked everywhere in the result. */
  secrets: string[];
  /** Absolute folder for this attempt's files. */
  artifactsDir: string;
  /** Paths in the result are relative to this. */
  artifactsBase: string;
  /** Base folder for upload files. */
  testDataDir?: string;
  trace?: boolean;
  signal?: AbortSignal;
  viewport?: { width: number; height: number };
  /** Return the context's cookies and storage when the test passes (a sign-in before a crawl). */
  keepStorageState?: boolean;
  /** Browser, device, locale, time zone and network the test runs with (default: desktop Chromium). */
  emulation?: Partial<Emulation>;
  /** Told when the test's page opens (live view); the returned cleanup runs before it closes. */
  onPage?: (page: Page, context: BrowserContext) => () => unknown;
  /** `every-step`: a screenshot after each passed step too (the failure screenshot stays). */
  screenshots?: ScreenshotMode;
  /** Record the test as `video.webm` in artifactsDir (needs Playwright's ffmpeg). */
  video?: boolean;
  /** Baselines for screenshot steps with `compare`; the engine reads them from the store. */
  baselines?: BaselineSource;
  /** Alternatives recorded by earlier runs; given (even empty), the runner records and heals. */
  locatorMemory?: LocatorMemory[];
  /** False: a locator that finds nothing fails even when memory has an alternative (default true). */
  healing?: boolean;
  /** How long a failure or every-step screenshot may take before it is recorded as missing. */
  screenshotTimeoutMs?: number;
  /** The egress guard's proxy: every request of the test's context goes through it. */
  proxy?: { server: string; bypass: string };
}

export type TestOutcome = Omit<TestResult, 'id' | 'runId' | 'attempt'>;

/** A browser context's cookies and local storage, as Playwright saves and restores them. */
export type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

type Verdict = {
  status: 'passed' | 'failed' | 'error';
  error: string | null;
  failedStep: number | null;
};

// Screenshots must not hold a test up for long, but on a loaded machine a frame can take
// seconds: 2 s lost failure screenshots on a 2-core CI. One that still fails is recorded as missing.
const SCREENSHOT_TIMEOUT_MS = 10_000;
// A step that ignores its own (clamped) timeout is cut off this long after the test's deadline.
const HARD_STOP_GRACE_MS = 1_000;
// Creating a context and a page takes well under a second; this much means the browser is wedged.
const SETUP_TIMEOUT_MS = 30_000;

/** Run one test in a fresh browser context; never throws, the outcome says what happened. */
export async function runTest(
  pool: BrowserPool,
  input: RunTestInput,
): Promise<TestOutcome & { storageState?: StorageState; locatorMemory?: LocatorMemory[] }> {
  const startedAt = new Date();
  const t0 = performance.now();
  const { test } = input;
  const testTimeout = test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const vars: Record<string, string> = { ...test.variables, ...input.variables };
  const steps: StepResult[] = test.steps.map((s, index) => ({
    index,
    action: stepAction(s),
    description: describeLater(s, vars),
    status: 'skipped',
    durationMs: 0,
  }));
  const artifacts = new AttemptFiles(input.artifactsDir, input.artifactsBase);
  const found: Artifacts = {};
  const visual: VisualCheck[] = [];
  let events: PageEvents | null = null;
  let storageState: StorageState | undefined;
  let healer: LocatorHealer | null = null;

  const finish = (
    v: Verdict,
  ): TestOutcome & { storageState?: StorageState; locatorMemory?: LocatorMemory[] } => {
    const mask = makeMasker(input.secrets);
    const masked = maskDeep(
      {
        testId: test.id,
        testName: test.name,
        status: v.status,
        durationMs: Math.round(performance.now() - t0),
        failedStep: v.failedStep,
        error: v.error,
        steps,
        consoleErrors: events?.consoleErrors ?? [],
        failedRequests: events?.failedRequests ?? [],
        ...(events && events.visitedUrls.length > 0 ? { visitedUrls: events.visitedUrls } : {}),
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        ...(healer?.healed.length ? { healed: healer.healed } : {}),
      },
      mask,
    );
    // Artifact paths are ours, not user text; masking could break them. Cookies are the
    // session itself: masked they would be useless, and they never reach a stored result.
    return {
      ...masked,
      artifacts: found,
      ...(visual.length > 0 ? { visual } : {}),
      ...(storageState ? { storageState } : {}),
      // Alternatives holding a secret were dropped when recorded; masking would break the rest.
      ...(healer?.recorded.length ? { locatorMemory: healer.recorded } : {}),
    };
  };

  if (input.signal?.aborted)
    return finish({ status: 'error', error: 'cancelled', failedStep: null });

  // One signal for "stop now": cancelled from outside, or far past the test's budget.
  const stop = new AbortController();
  let interrupted: TestInterrupted | null = null;
  const interrupt = (reason: 'cancelled' | 'timeout' | 'setup'): void => {
    if (interrupted) return;
    interrupted = new TestInterrupted(reason);
    stop.abort(interrupted);
  };
  const onCancel = (): void => interrupt('cancelled');
  input.signal?.addEventListener('abort', onCancel, { once: true });
  // The test's budget starts once its page is ready; a browser too slow to give one is our problem.
  let hardStop = setTimeout(() => interrupt('setup'), SETUP_TIMEOUT_MS);
  const stopped = new Promise<never>((_, reject) => {
    stop.signal.addEventListener('abort', () => reject(interrupted), { once: true });
  });
  stopped.catch(() => undefined);
  const race = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined); // the loser of the race may reject later, when the context closes
    return Promise.race([p, stopped]);
  };

  let context: BrowserContext | null = null;
  let video: Video | null = null;
  let leavePage: (() => unknown) | undefined;
  try {
    const pending = pool.newContext(
      {
        ...(input.emulation ? contextOptionsFor(input.emulation) : {}),
        ...(input.baseUrl ? { baseURL: input.baseUrl } : {}),
        ...(input.viewport ? { viewport: input.viewport } : {}),
        ...(input.video ? { recordVideo: videoOptions(input) } : {}),
        ...(input.proxy ? { proxy: input.proxy } : {}),
      },
      input.emulation?.browser,
      input.lane ?? 0,
    );
    try {
      context = await race(pending);
    } catch (e) {
      void pending.then((c) => c.close()).catch(() => undefined);
      if (e instanceof TestInterrupted) return finish(interruptedVerdict(e, testTimeout, null));
      return finish({
        status: 'error',
        error: `could not start a browser context: ${summarizeError(e)}`,
        failedStep: null,
      });
    }
    const ctx = context;
    events = new PageEvents(ctx);
    stop.signal.addEventListener('abort', () => void ctx.close().catch(() => undefined));
    if (input.trace) await race(ctx.tracing.start({ screenshots: true, snapshots: true }));
    const page = await race(ctx.newPage());
    if (input.locatorMemory) {
      healer = new LocatorHealer(page, {
        memory: input.locatorMemory,
        enabled: input.healing ?? true,
        secrets: input.secrets,
      });
    }
    await race(throttle(ctx, page, input.emulation?.network ?? null));
    leavePage = input.onPage?.(page, ctx);
    video = page.video();

    clearTimeout(hardStop);
    hardStop = setTimeout(() => interrupt('timeout'), testTimeout + HARD_STOP_GRACE_MS);
    const deadline = performance.now() + testTimeout;
    const verdict = await runSteps(input, {
      ctx,
      page,
      events,
      vars,
      artifacts,
      found,
      visual,
      healer,
      steps,
      deadline,
      race,
      stop,
    });
    clearTimeout(hardStop);
    const v = verdict ?? { status: 'passed', error: null, failedStep: null };
    if (v.status === 'passed' && input.keepStorageState) {
      storageState = await race(ctx.storageState());
    }
    if (v.status === 'failed' && !interrupted && !events.crashed) {
      await screenshotFailure(ctx, page, artifacts, found, input.screenshotTimeoutMs);
    }
    if (input.trace && !interrupted && ctx.browser()?.isConnected() !== false) {
      const path = await artifacts.file('trace', '.zip');
      await ctx.tracing
        .stop({ path })
        .then(() => (found.trace = artifacts.relative(path)))
        .catch((e: unknown) => noteMissing(found, 'trace', e));
    }
    return finish(v);
  } catch (e) {
    if (e instanceof TestInterrupted) return finish(interruptedVerdict(e, testTimeout, null));
    return finish({
      status: 'error',
      error: `runner error: ${summarizeError(e)}`,
      failedStep: null,
    });
  } finally {
    clearTimeout(hardStop);
    input.signal?.removeEventListener('abort', onCancel);
    events?.stop();
    await Promise.resolve()
      .then(leavePage)
      .catch(() => undefined);
    await context?.close().catch(() => undefined);
    // The video is complete only once the context is closed; `found` is the very object the
    // returned outcome holds, so the path lands in the result.
    if (video) await saveVideo(video, artifacts, found);
  }
}

interface Loop {
  ctx: BrowserContext;
  page: Page;
  events: PageEvents;
  vars: Record<string, string>;
  artifacts: AttemptFiles;
  found: Artifacts;
  visual: VisualCheck[];
  healer: LocatorHealer | null;
  steps: StepResult[];
  deadline: number;
  race: <T>(p: Promise<T>) => Promise<T>;
  stop: AbortController;
}

function stepContext(input: RunTestInput, l: Loop, timeout: number, budget: number): StepContext {
  return {
    page: l.page,
    context: l.ctx,
    baseUrl: input.baseUrl,
    timeout,
    budget,
    vars: l.vars,
    testDataDir: input.testDataDir,
    artifacts: l.artifacts,
    signal: l.stop.signal,
    consoleErrors: l.events.consoleErrors,
    baselines: input.baselines,
    visual: l.visual,
  };
}

/** Run the steps in order; the first failure ends the test. Returns null when all passed. */
async function runSteps(input: RunTestInput, l: Loop): Promise<Verdict | null> {
  const { test } = input;
  const testTimeout = test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  for (const [i, raw] of test.steps.entries()) {
    const result = l.steps[i] as StepResult;
    const begin = performance.now();
    const budget = Math.round(l.deadline - begin);
    if (budget <= 0) {
      result.status = 'failed';
      result.error = 'test timed out';
      return interruptedVerdict(new TestInterrupted('timeout'), testTimeout, i, result.description);
    }
    let step: Step;
    try {
      step = substituteDeep(raw, l.vars);
    } catch (e) {
      if (!(e instanceof UnknownVariableError)) throw e;
      result.status = 'failed';
      result.error = `${e.message} in step ${i + 1}`;
      return { status: 'error', error: result.error, failedStep: i };
    }
    result.description = describeStep(step);
    const wanted = raw.timeout ?? test.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    let timeout = Math.max(1, Math.min(wanted, budget));
    const healer = l.healer;
    try {
      // At most two passes: the second only when the first took a locator as written (its
      // memory was fresh) and that locator now finds nothing, so the step runs again, healing.
      for (let pass = 1; ; pass++) {
        const sc = stepContext(input, l, timeout, Math.round(l.deadline - performance.now()));
        if (healer) sc.locate = (loc, t, o) => healer.resolve(i, loc, t, o?.mayHeal !== false);
        try {
          const out = await l.race(runStep(sc, step));
          if (out.screenshot) (l.found.screenshots ??= []).push(out.screenshot);
          result.status = 'passed';
          if (healer) await l.race(healer.commit());
          if (input.screenshots === 'every-step')
            await l.race(screenshotStep(l, i, input.screenshotTimeoutMs));
          break;
        } catch (e) {
          const left = Math.round(l.deadline - performance.now());
          if (
            pass === 1 &&
            healer &&
            !(e instanceof TestInterrupted) &&
            left > 0 &&
            (await l.race(healer.retryHealing(i)).catch(() => false))
          ) {
            timeout = Math.max(1, Math.min(wanted, left));
            continue;
          }
          throw e;
        }
      }
    } catch (e) {
      healer?.discard();
      result.status = 'failed';
      const verdict = failureVerdict(e, {
        index: i,
        step,
        description: result.description,
        overBudget: timeout < wanted && performance.now() >= l.deadline - 50,
        testTimeout,
        browserGone: !l.ctx.browser()?.isConnected() || l.page.isClosed(),
      });
      result.error = stepError(e, result.description, step);
      if (verdict.error === 'cancelled') result.status = 'skipped';
      return verdict;
    } finally {
      result.durationMs = Math.round(performance.now() - begin);
    }
  }
  return null;
}

interface FailureInfo {
  index: number;
  step: Step;
  description: string;
  /** The step's timeout was cut to the test's remaining budget and that budget is spent. */
  overBudget: boolean;
  testTimeout: number;
  browserGone: boolean;
}

function failureVerdict(e: unknown, f: FailureInfo): Verdict {
  if (e instanceof TestInterrupted)
    return interruptedVerdict(e, f.testTimeout, f.index, f.description);
  if (f.overBudget && (isTimeoutError(e) || e instanceof StepFailure)) {
    return interruptedVerdict(
      new TestInterrupted('timeout'),
      f.testTimeout,
      f.index,
      f.description,
    );
  }
  if (!(e instanceof StepFailure) && (f.browserGone || isBrowserGoneError(e))) {
    return {
      status: 'error',
      error: `browser crashed or disconnected during step ${f.index + 1} (${f.description}): ${summarizeError(e)}`,
      failedStep: f.index,
    };
  }
  return { status: 'failed', error: stepError(e, f.description, f.step), failedStep: f.index };
}

function interruptedVerdict(
  e: TestInterrupted,
  testTimeout: number,
  index: number | null,
  description?: string,
): Verdict {
  if (e.reason === 'cancelled') return { status: 'error', error: 'cancelled', failedStep: null };
  if (e.reason === 'setup') {
    return {
      status: 'error',
      error: `could not start a browser page within ${SETUP_TIMEOUT_MS} ms`,
      failedStep: null,
    };
  }
  const where = index !== null ? ` in step ${index + 1} (${description})` : '';
  return {
    status: 'failed',
    error: `test timed out after ${testTimeout} ms${where}`,
    failedStep: index,
  };
}

/** The message for a failed step: expectation messages stand alone, others say which action. */
function stepError(e: unknown, description: string, step: Step): string {
  if (e instanceof TestInterrupted)
    return e.reason === 'cancelled' ? 'cancelled' : 'test timed out';
  if (e instanceof StepFailure && stepAction(step) === 'expect') return e.message;
  return `${description}: ${e instanceof StepFailure ? e.message : summarizeError(e)}`;
}

/** Describe a step not yet run: with the variables known now, else as written. */
function describeLater(step: Step, vars: Record<string, string>): string {
  try {
    return describeStep(substituteDeep(step, vars));
  } catch {
    return describeStep(step);
  }
}

/** Record an artifact that could not be captured, with the first line of why. */
function noteMissing(found: Artifacts, name: string, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  const reason = (message.split('\n')[0] ?? '').slice(0, 300) || 'unknown error';
  (found.missing ??= []).push({ name, reason });
}

async function screenshotFailure(
  ctx: BrowserContext,
  page: Page,
  artifacts: AttemptFiles,
  found: Artifacts,
  timeout = SCREENSHOT_TIMEOUT_MS,
): Promise<void> {
  if (page.isClosed()) {
    noteMissing(found, 'failure', new Error('the page was closed before the screenshot'));
    return;
  }
  // Chromium paints nothing while a navigation is pending (a hung goto); stop it so the
  // screenshot shows the page as it is. Not every remote browser speaks CDP: then just try.
  await ctx
    .newCDPSession(page)
    .then((cdp) => cdp.send('Page.stopLoading').finally(() => cdp.detach()))
    .catch(() => undefined);
  const path = await artifacts.file('failure', '.png');
  await page
    .screenshot({ path, timeout })
    .then(() => (found.screenshot = artifacts.relative(path)))
    .catch((e: unknown) => noteMissing(found, 'failure', e));
}

/** The screenshot after a passed step (every-step mode); best effort, never fails the step. */
async function screenshotStep(
  l: Loop,
  index: number,
  timeout = SCREENSHOT_TIMEOUT_MS,
): Promise<void> {
  if (l.page.isClosed()) return;
  const name = `step-${index + 1}`;
  const path = await l.artifacts.file(name, '.png');
  await l.page
    .screenshot({ path, timeout })
    .then(() => {
      (l.found.screenshots ??= []).push({ name, path: l.artifacts.relative(path), step: index });
    })
    .catch((e: unknown) => noteMissing(l.found, name, e));
}

function videoOptions(input: RunTestInput): {
  dir: string;
  size?: { width: number; height: number };
} {
  return { dir: input.artifactsDir, ...(input.viewport ? { size: input.viewport } : {}) };
}

/** Keep the recording of the closed context's page as `video.webm` (Playwright names it randomly). */
async function saveVideo(video: Video, artifacts: AttemptFiles, found: Artifacts): Promise<void> {
  const path = await artifacts.file('video', '.webm');
  await video
    .saveAs(path)
    .then(() => video.delete())
    .then(() => (found.video = artifacts.relative(path)))
    .catch(() => undefined);
}
