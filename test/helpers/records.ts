import { randomUUID } from 'node:crypto';
import { emptyCounts, type Run, type TestResult } from '../../src/domain/run.ts';
import type { TestOutcome } from '../../src/engine/executor.ts';

/** A queued run of these tests with nothing counted yet; `over` sets any other field. */
export function makeRun(projectId: string, testIds: string[], over: Partial<Run> = {}): Run {
  return {
    id: randomUUID(),
    projectId,
    status: 'queued',
    trigger: { source: 'api' },
    selection: {},
    testIds,
    baseUrl: 'http://127.0.0.1:1',
    environment: null,
    parallelWorkers: 1,
    error: null,
    ...emptyCounts(testIds.length),
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}

/** A passed first attempt with no steps, logs or artifacts; `over` sets any other field. */
export function makeResult(
  runId: string,
  testId: string,
  over: Partial<TestResult> = {},
): TestResult {
  const at = new Date().toISOString();
  return {
    id: randomUUID(),
    runId,
    testId,
    testName: testId,
    status: 'passed',
    attempt: 1,
    durationMs: 1,
    failedStep: null,
    error: null,
    steps: [],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: at,
    finishedAt: at,
    ...over,
  };
}

/** What an executor returns for a test that passed at once; `over` sets any other field. */
export function makeOutcome(
  test: { id: string; name: string },
  over: Partial<TestOutcome> = {},
): TestOutcome {
  const {
    id: _id,
    runId: _runId,
    attempt: _attempt,
    ...outcome
  } = makeResult('', test.id, {
    testName: test.name,
  });
  return { ...outcome, ...over };
}
