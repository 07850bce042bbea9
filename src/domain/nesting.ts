/**
 * How deep a document may nest. Tests, environments and every other body Greenlight stores are
 * shallow (a test with a `within` block inside a data variant is under 15); 64 leaves room and
 * keeps deep inputs from reaching code that walks them recursively (diffs, exports, zod).
 */
export const MAX_NESTING = 64;

/**
 * The nesting depth of JSON text, scanning it once without parsing, stopping as soon as it passes
 * `limit` (so a 10 MB body of `[[[[…` costs at most `limit` steps past its start).
 */
export function jsonTextDepth(text: string, limit = MAX_NESTING): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * The nesting depth of a parsed value (YAML documents), iteratively — no recursion for an
 * attacker to exhaust — stopping once past `limit`. Objects met twice (YAML aliases) are walked
 * once.
 */
export function valueDepth(value: unknown, limit = MAX_NESTING): number {
  let max = 0;
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}

export const tooDeep = (what: string): string =>
  `${what} is nested deeper than ${MAX_NESTING} levels; nothing that deep is accepted`;
