import type { z } from 'zod';

// How an option's allowed values read in API descriptions and `--help`. Both are built from the
// option's own schema or value list, so a value or bound changed there shows up in the words too.

/** `a (default), b or c`: the values of an option, the default marked. */
export function describeChoices(values: readonly string[], byDefault?: string): string {
  const words = values.map((v) => (v === byDefault ? `${v} (default)` : v));
  const last = words.pop();
  return words.length > 0 ? `${words.join(', ')} or ${last}` : (last ?? '');
}

/** `0–5`: the bounds of a number schema (an open end reads as `…`). */
export function rangeOf(schema: z.ZodNumber): string {
  return `${schema.minValue ?? '…'}–${schema.maxValue ?? '…'}`;
}
