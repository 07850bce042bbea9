import { parseIntFlag } from './parse-flag.ts';
import { AppError } from '../domain/errors.ts';
import {
  MAX_RUN_TIMEOUT_MS,
  retriesSchema,
  runTimeoutMsSchema,
  type RunOptionsInput,
} from '../domain/run-options.ts';
import { rangeOf } from '../domain/option-text.ts';
import { defined } from '../domain/defined.ts';

/** The `greenlight run` flags for retries, flaky handling and the run's time limit. */
export interface RetryFlags {
  retries?: number;
  failOnFlaky?: boolean;
  timeout?: number;
}

/** The run options the flags ask for (omitted ones fall back to the project's defaults). */
export function retryOptionsOfFlags(o: RetryFlags): RunOptionsInput {
  return {
    ...defined({ retries: o.retries }),
    ...(o.failOnFlaky ? { failOnFlaky: true } : {}),
    ...defined({ timeoutMs: o.timeout }),
  };
}

/** `--retries <n>` help, its range from the schema the API checks `retries` with. */
export const retriesHelp = `run a failing test up to n more times (${rangeOf(retriesSchema)})`;

/** `--retries N`: an integer within the domain's bounds (0 to 5). */
export function parseRetries(v: string): number {
  return parseIntFlag('--retries', v, retriesSchema);
}

const HOUR_MS = 3_600_000;
const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: HOUR_MS };
const maxTimeout =
  MAX_RUN_TIMEOUT_MS % HOUR_MS === 0
    ? `${MAX_RUN_TIMEOUT_MS / HOUR_MS}h`
    : `${MAX_RUN_TIMEOUT_MS}ms`;

/** `--timeout 90`, `90s`, `15m`, `1h`, `500ms` (a bare number is seconds) → milliseconds. */
export function parseTimeout(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  const ms = m ? Math.round(Number(m[1]) * (units[m[2] ?? 's'] ?? 1_000)) : NaN;
  // The bounds are the API's timeoutMs bounds: positive, at most MAX_RUN_TIMEOUT_MS.
  if (!runTimeoutMsSchema.safeParse(ms).success) {
    throw new AppError(
      'validation_failed',
      `--timeout must be a duration such as 90, 90s, 15m or 1h (at most ${maxTimeout}), got "${v}"`,
      { field: 'timeout' },
    );
  }
  return ms;
}
