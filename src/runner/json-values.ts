/** How the runner compares and stores JSON values of API responses. */

/** Deep equality of JSON values; a string expectation also accepts the same number or boolean. */
export function jsonEquals(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')) {
    // Variables are strings, so `{{ID}}` captured from a number must still compare equal.
    return String(actual) === expected;
  }
  if (actual === expected) return true;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => jsonEquals(actual[i], e))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = Object.keys(e);
    return (
      keys.length === Object.keys(a).length &&
      keys.every((k) => Object.hasOwn(a, k) && jsonEquals(a[k], e[k]))
    );
  }
  return false;
}

/** A captured value as a variable: strings as they are, anything else as JSON. */
export function asVariable(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
