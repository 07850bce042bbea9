/**
 * `JSON.stringify(value, null, 2)` of a document with one large array, as chunks: the array's
 * items are serialized one at a time, so a 10,000-test report is never one string in memory.
 * The text is the same as stringifying the whole document at once.
 */
export function* jsonWithStreamedArray(
  envelope: unknown,
  path: readonly (string | number)[],
  items: Iterable<unknown>,
): Generator<string> {
  const marker = `\u0000streamed-array-${Math.random().toString(36).slice(2)}\u0000`;
  const text = JSON.stringify(withMarker(envelope, path, marker), null, 2);
  const quoted = JSON.stringify(marker);
  const at = text.indexOf(quoted);
  if (at < 0) throw new Error(`jsonWithStreamedArray: nothing at ${path.join('.')}`);
  const indent = text.slice(text.lastIndexOf('\n', at) + 1).match(/^ */)![0];
  yield text.slice(0, at);
  let first = true;
  for (const item of items) {
    const json = JSON.stringify(item, null, 2).replace(/\n/g, `\n${indent}  `);
    yield `${first ? '[' : ','}\n${indent}  ${json}`;
    first = false;
  }
  yield first ? '[]' : `\n${indent}]`;
  yield `${text.slice(at + quoted.length)}\n`;
}

/** A copy of `value` with the marker string put at `path` (the containers on it copied). */
function withMarker(value: unknown, path: readonly (string | number)[], marker: string): unknown {
  if (path.length === 0) return marker;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    copy[Number(head)] = withMarker(copy[Number(head)], rest, marker);
    return copy;
  }
  const obj = value as Record<string, unknown>;
  return { ...obj, [head]: withMarker(obj[head], rest, marker) };
}

/** Joins small chunks into pieces of about `size` characters, for fewer, larger socket writes. */
export function* batched(chunks: Iterable<string>, size = 64 * 1024): Generator<string> {
  let buf: string[] = [];
  let length = 0;
  for (const c of chunks) {
    buf.push(c);
    length += c.length;
    if (length >= size) {
      yield buf.join('');
      buf = [];
      length = 0;
    }
  }
  if (length > 0) yield buf.join('');
}
