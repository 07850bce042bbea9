import { runOptionsInputShape, type RunOptionsInput } from '../domain/run-options.ts';
import { defined } from '../domain/defined.ts';

/**
 * Request fields for retries, flaky handling and the run's time limit, shared by POST /runs and
 * the trigger. Omitted ones fall back to the project's defaults (retries, failOnFlaky).
 */
export const retryFields = {
  retries: runOptionsInputShape.retries,
  failOnFlaky: runOptionsInputShape.failOnFlaky,
  timeoutMs: runOptionsInputShape.timeoutMs.describe(
    'Whole-run time limit in ms, from its start; when exceeded the run finishes as error',
  ),
};

interface RetryBody {
  retries?: number;
  failOnFlaky?: boolean;
  timeoutMs?: number;
}

/** The run options of the retry fields that were given. */
export function retryOptionsOf(b: RetryBody): RunOptionsInput {
  return defined({ retries: b.retries, failOnFlaky: b.failOnFlaky, timeoutMs: b.timeoutMs });
}
