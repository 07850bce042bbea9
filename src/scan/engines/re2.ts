import RE2 from 're2';

/**
 * Compile a pattern with RE2, a linear-time engine: no input can make a match backtrack
 * exponentially, so no rule can hang the scanner. Patterns RE2 refuses (backreferences,
 * look-around) are refused with that reason.
 */
export function compileRe2(pattern: string, flags = '', withIndices = false): RE2 {
  try {
    return new RE2(pattern, `g${flags}${withIndices ? 'd' : ''}`);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `pattern ${JSON.stringify(pattern)} is not valid RE2 syntax (${why}); RE2 runs in linear time, so backreferences and look-around are not supported`,
      { cause: e },
    );
  }
}

export interface ByteMatch {
  start: number;
  end: number;
  /** Byte ranges of the capture groups ([-1, -1] when a group did not take part). */
  groups: [number, number][];
}

/** Every match of a global RE2 over the bytes, at most `max`; empty matches advance by one. */
export function* matchAll(re: RE2, bytes: Buffer, max: number): Generator<ByteMatch> {
  re.lastIndex = 0;
  let n = 0;
  while (n < max) {
    const m = re.exec(bytes);
    if (!m) return;
    const start = m.index;
    const end = start + (m[0] as unknown as Buffer).length;
    if (end === start) re.lastIndex = end + 1;
    const indices = (m as unknown as { indices?: ([number, number] | undefined)[] }).indices;
    const groups = indices ? indices.map((g) => g ?? ([-1, -1] as [number, number])) : [];
    n++;
    yield { start, end, groups };
  }
}

/** True when the pattern matches anywhere in the bytes. */
export function matchesAny(re: RE2, bytes: Buffer): boolean {
  re.lastIndex = 0;
  const found = re.test(bytes);
  re.lastIndex = 0;
  return found;
}
