import type { TestResult } from './run.ts';
import { maskDeep, type Masker } from './secret-masker.ts';

/**
 * A result as it may be stored: every user text masked. Ids, status and artifact paths are ours
 * (masking could break a link or the verdict); everything else (step descriptions, errors, console and network logs,
 * visited URLs, healing notes, retries, data-row labels) passed through the page or the test.
 */
export function maskResult(result: TestResult, mask: Masker): TestResult {
  const { id, runId, testId, status, attempt, artifacts, visual, ...text } = result;
  return {
    ...maskDeep(text, mask),
    id,
    runId,
    testId,
    status,
    attempt,
    artifacts,
    ...(visual ? { visual } : {}),
  };
}
