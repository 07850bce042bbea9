/** One step into a JSON value: an object key or an array index (negative counts from the end). */
export type PathSegment = { key: string } | { index: number };

/**
 * Parse the JSONPath subset tests use: `$`, `.name`, `[0]`, `[-1]`, `['name']`, `["name"]`.
 * Throws on anything else so a typo is reported instead of silently matching nothing.
 */
export function parseJsonPath(path: string): PathSegment[] {
  const p = path.trim();
  if (!p.startsWith('$')) throw new Error(`JSON path ${JSON.stringify(path)} must start with $`);
  const out: PathSegment[] = [];
  let i = 1;
  while (i < p.length) {
    const rest = p.slice(i);
    const dot = /^\.([A-Za-z_$][\w$-]*)/.exec(rest);
    const idx = /^\[\s*(-?\d+)\s*\]/.exec(rest);
    const quoted = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
    if (dot) out.push({ key: dot[1] as string });
    else if (idx) out.push({ index: Number(idx[1]) });
    else if (quoted) out.push({ key: (quoted[1] ?? quoted[2] ?? '').replace(/\\(.)/g, '$1') });
    else
      throw new Error(
        `JSON path ${JSON.stringify(path)} is not understood at ${JSON.stringify(rest)}`,
      );
    i += (dot ?? idx ?? quoted)?.[0].length ?? rest.length;
  }
  return out;
}

/** The value at a parsed path, or undefined when any part is missing. `length` works on arrays. */
export function readJsonPath(value: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = value;
  for (const s of segments) {
    if ('index' in s) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s.index < 0 ? cur.length + s.index : s.index];
    } else if (Array.isArray(cur)) {
      if (s.key !== 'length') return undefined;
      cur = cur.length;
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, s.key)) {
      cur = (cur as Record<string, unknown>)[s.key];
    } else {
      return undefined;
    }
  }
  return cur;
}
