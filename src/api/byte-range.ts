import type { IncomingHttpHeaders } from 'node:http';
import { parse } from 'range-parser';
import type { PartOf } from '../store/artifacts/artifact-store.ts';

/**
 * The part of a file a request's `Range` header asks for (RFC 9110 §14.2), for a store to pick
 * once it knows the size; undefined to send the whole file. The header is ignored, which the RFC
 * allows, when `If-Range` is sent (artifacts carry no ETag or Last-Modified, so no validator can
 * match), when its unit is not `bytes`, when any of its ranges is malformed (`bytes=5-2`, `x-`),
 * and when it asks for more than one range (a multipart answer buys a browser or a download
 * resumer nothing). Unsatisfiable only when none of its ranges overlaps the file.
 */
export function partOfRangeHeader(headers: IncomingHttpHeaders): PartOf | undefined {
  const range = headers.range;
  if (range === undefined || headers['if-range'] !== undefined) return undefined;
  return (size) => {
    const parsed = parse(size, range);
    // Bit 1 of `code`: a malformed range; bit 2: a well-formed one past the end of the file.
    if (parsed.type !== 'bytes' || (parsed.code & 1) !== 0) return undefined;
    const [first, ...more] = parsed.ranges;
    if (!first) return (parsed.code & 2) !== 0 ? 'unsatisfiable' : undefined;
    return more.length === 0 ? { start: first.start, end: first.end } : undefined;
  };
}
