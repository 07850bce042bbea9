import type { LocatorMemory } from '../domain/locator-memory.ts';
import type { Run, TestResult } from '../domain/run.ts';
import type { RunOptions } from '../domain/run-options.ts';
import type { Test } from '../domain/test.ts';
import type { BaselineSource } from '../domain/visual.ts';

/** What running one test produced; the engine adds the result id, run id and attempt. */
export type TestOutcome = Omit<TestResult, 'id' | 'runId' | 'attempt'> & {
  /** Locator alternatives this execution recorded (self-healing); stored apart, not in the result. */
  locatorMemory?: LocatorMemory[];
};

/** Everything one execution of one test needs. */
export interface ExecutorJob {
  /** Index of the engine worker running the job (0-based): its own browser lane. */
  lane: number;
  run: Run;
  test: Test;
  attempt: number;
  /** Test variables overlaid by the environment's (environment wins). */
  variables: Record<string, string>;
  /** Secret values to mask in every step description, error and log. */
  secrets: string[];
  /** Absolute folder for this attempt's screenshots and trace (already created). */
  artifactsDir: string;
  /** The same folder relative to `artifactsRoot`, for paths stored in the result. */
  artifactsBase: string;
  /**
   * The folder result paths are relative to: the data dir, or the artifact store's local
   * staging folder, from which the engine uploads the attempt's files after the test.
   */
  artifactsRoot: string;
  /** The run's execution options (retries, browser, device, screenshots, …). */
  options: RunOptions;
  /** The test's visual baselines, for screenshot steps with `compare`. */
  baselines?: BaselineSource;
  /** What earlier runs recorded about the test's locators, for self-healing. */
  locatorMemory?: LocatorMemory[];
  /** Aborted when the run is cancelled, the engine stops, or the test overruns its time. */
  signal: AbortSignal;
}

/**
 * The boundary between orchestration and a browser: run one test, never throw for a test that
 * fails (that is an outcome). A throw means the test could not run and becomes an `error` result.
 */
export type TestExecutor = (job: ExecutorJob) => Promise<TestOutcome>;

/** The outcome recorded when a test could not run at all. */
export function errorOutcome(
  test: { id: string; name: string },
  error: string,
  startedAt: Date,
  finishedAt: Date,
): TestOutcome {
  return {
    testId: test.id,
    testName: test.name,
    status: 'error',
    durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
    failedStep: null,
    error,
    steps: [],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
}

export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`the test did not finish within ${Math.round(ms / 1000)} s and was stopped`);
    this.name = 'DeadlineError';
  }
}

/**
 * Run the executor with a hard deadline. The executor enforces its own test timeout; this is the
 * engine's guard against one that hangs, so no run stays `running` forever. On the deadline the
 * signal aborts and the executor gets `settleMs` to return before the job is given up.
 */
export async function executeWithDeadline(
  executor: TestExecutor,
  job: Omit<ExecutorJob, 'signal'>,
  controller: AbortController,
  deadlineMs: number,
  settleMs = 5_000,
): Promise<TestOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineError(deadlineMs);
      controller.abort(err);
      timer = setTimeout(() => reject(err), settleMs);
    }, deadlineMs);
  });
  try {
    return await Promise.race([executor({ ...job, signal: controller.signal }), overrun]);
  } finally {
    clearTimeout(timer);
  }
}
