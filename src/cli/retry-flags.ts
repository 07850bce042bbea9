import { parseIntFlag } from './int-flag.ts';
import { AppError } from '../domain/errors.ts';
import { MAX_RETRIES, MAX_RUN_TIMEOUT_MS, type RunOptionsInput } from '../domain/run-options.ts';
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

/** `--retries N`: an integer from 0 to 5. */
export function parseRetries(v: string): number {
  return parseIntFlag('--retries', v, 0, MAX_RETRIES);
}

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `--timeout 90`, `90s`, `15m`, `1h`, `500ms` (a bare number is seconds) → milliseconds. */
export function parseTimeout(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  const ms = m ? Math.round(Number(m[1]) * (units[m[2] ?? 's'] ?? 1_000)) : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_RUN_TIMEOUT_MS) {
    throw new AppError(
      'validation_failed',
      `--timeout must be a duration such as 90, 90s, 15m or 1h (at most 24h), got "${v}"`,
      { field: 'timeout' },
    );
  }
  return ms;
}
