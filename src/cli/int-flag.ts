import { AppError } from '../domain/errors.ts';

/** A whole-number flag value within bounds; anything else is a usage error naming the flag. */
export function parseIntFlag(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new AppError(
      'validation_failed',
      `${flag} must be an integer from ${min} to ${max}, got "${v}"`,
      { field: flag.replace(/^--/, '') },
    );
  }
  return n;
}
