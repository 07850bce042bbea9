import type { z } from 'zod';
import { AppError } from '../domain/errors.ts';

// A flag is parsed by the schema of the option it sets (the domain's, where it has one), the
// same schema the API validates the field with: a bound or value changed there changes both.
// A refusal is a usage error naming the flag (exit 2), not a stack trace.

/**
 * Flag values set on an object schema's fields (a field per flag, `dataSet` for `--data-set`);
 * a refusal names the flag of the first field the schema refused.
 */
export function parseFlags<T>(schema: z.ZodType<T>, values: Record<string, unknown>): T {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? 'option');
  const flag = `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw new AppError('validation_failed', `${flag}: ${issue?.message ?? 'invalid value'}`, {
    field,
  });
}

/** A whole number within the bounds of `schema`: `--retries must be an integer from 0 to 5`. */
export function parseIntFlag(flag: string, v: string, schema: z.ZodNumber): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (schema.safeParse(n).success) return n;
  throw new AppError(
    'validation_failed',
    `${flag} must be an integer from ${schema.minValue} to ${schema.maxValue}, got "${v}"`,
    { field: flag.replace(/^--/, '') },
  );
}

/** A commander argument parser of `parseIntFlag`. */
export const intFlag =
  (flag: string, schema: z.ZodNumber) =>
  (v: string): number =>
    parseIntFlag(flag, v, schema);
