import type { BrowserContext, Page } from 'playwright-core';
import type { BrowserPool } from '../browser/browser-pool.ts';
import type { Artifacts, StepResult, TestResult } from '../domain/run.ts';
import { stepAction, type Step } from '../domain/steps.ts';
import { DEFAULT_STEP_TIMEOUT_MS, DEFAULT_TEST_TIMEOUT_MS } from '../domain/test-definition.ts';
import { makeMasker, maskDeep, substituteDeep, UnknownVariableError } from '../domain/variables.ts';
import { ArtifactStore } from './artifacts.ts';
import { describeStep } from '../domain/describe-step.ts';
import {
  isBrowserGoneError,
  isTimeoutError,
  StepFailure,
  summarizeError,
  TestInterrupted,
} from './errors.ts';
import { PageEvents } from './page-events.ts';
import { runStep } from './run-step.ts';
import type { StepContext } from './step-context.ts';

export interface RunTestInput {
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
}

export type TestOutcome = Omit<TestResult, 'id' | 'runId' | 'attempt'>;

/** A browser context's cookies and local storage, as Playwright saves and restores them. */
export type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

type Verdict = {
  status: 'passed' | 'failed' | 'error';
  error: string | null;
  failedStep: number | null;
};

// The failure screenshot is a courtesy; it must not hold a failed test up for long.
const FAILURE_SCREENSHOT_TIMEOUT_MS = 2_000;
// A step that ignores its own (clamped) timeout is cut off this long after the test's deadline.
const HARD_STOP_GRACE_MS = 1_000;
// Creating a context and a page takes well under a second; this much means the browser is wedged.
const SETUP_TIMEOUT_MS = 30_000;

/** Run one test in a fresh browser context; never throws, the outcome says what happened. */
export async function runTest(
  pool: BrowserPool,
  input: RunTestInput,
): Promise<TestOutcome & { storageState?: StorageState }> {
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
  const artifacts = new ArtifactStore(input.artifactsDir, input.artifactsBase);
  const found: Artifacts = {};
  let events: PageEvents | null = null;
  let storageState: StorageState | undefined;

  const finish = (v: Verdict): TestOutcome & { storageState?: StorageState } => {
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
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
      },
      mask,
    );
    // Artifact paths are ours, not user text; masking could break them. Cookies are the
    // session itself: masked they would be useless, and they never reach a stored result.
    return { ...masked, artifacts: found, ...(storageState ? { storageState } : {}) };
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
  try {
    const pending = pool.newContext({
      ...(input.baseUrl ? { baseURL: input.baseUrl } : {}),
      ...(input.viewport ? { viewport: input.viewport } : {}),
    });
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
      await screenshotFailure(ctx, page, artifacts, found);
    }
    if (input.trace && !interrupted && ctx.browser()?.isConnected() !== false) {
      const path = await artifacts.file('trace', '.zip');
      await ctx.tracing
        .stop({ path })
        .then(() => (found.trace = artifacts.relative(path)))
        .catch(() => undefined);
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
    await context?.close().catch(() => undefined);
  }
}

interface Loop {
  ctx: BrowserContext;
  page: Page;
  events: PageEvents;
  vars: Record<string, string>;
  artifacts: ArtifactStore;
  found: Artifacts;
  steps: StepResult[];
  deadline: number;
  race: <T>(p: Promise<T>) => Promise<T>;
  stop: AbortController;
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
    const timeout = Math.max(1, Math.min(wanted, budget));
    const sc: StepContext = {
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
    };
    try {
      const out = await l.race(runStep(sc, step));
      if (out.screenshot) (l.found.screenshots ??= []).push(out.screenshot);
      result.status = 'passed';
    } catch (e) {
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

async function screenshotFailure(
  ctx: BrowserContext,
  page: Page,
  artifacts: ArtifactStore,
  found: Artifacts,
): Promise<void> {
  if (page.isClosed()) return;
  // Chromium paints nothing while a navigation is pending (a hung goto); stop it so the
  // screenshot shows the page as it is. Not every remote browser speaks CDP: then just try.
  await ctx
    .newCDPSession(page)
    .then((cdp) => cdp.send('Page.stopLoading').finally(() => cdp.detach()))
    .catch(() => undefined);
  const path = await artifacts.file('failure', '.png');
  await page
    .screenshot({ path, timeout: FAILURE_SCREENSHOT_TIMEOUT_MS })
    .then(() => (found.screenshot = artifacts.relative(path)))
    .catch(() => undefined);
}
