import type { IncomingHttpHeaders } from 'node:http';
import { parse } from 'range-parser';
import type { PartOf } from '../store/artifacts/artifact-store.ts';

/** The HTTP validators of one version of an artifact. */
export interface Validators {
  etag: string;
  lastModified: string;
}

/**
 * A file's validators from its size and write time, as static file servers make them: a run's
 * files are written once, so another version of one has another time (and mostly size).
 */
export function validatorsOf(bytes: number, modifiedAt: Date): Validators {
  return {
    etag: `"${bytes.toString(16)}-${Math.floor(modifiedAt.getTime()).toString(16)}"`,
    lastModified: modifiedAt.toUTCString(),
  };
}

/**
 * Whether an `If-Range` names the version at hand (RFC 9110 §13.1.5): an entity tag by strong
 * comparison (a weak one never matches), a date when it is the file's Last-Modified exactly.
 */
function ifRangeHolds(ifRange: string, v: Validators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === v.etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(v.lastModified);
}

/**
 * The part of a request's `Range` header asks for (RFC 9110 §14.2), for a store to pick once
 * it knows the size and version; undefined to send the whole file. The header is ignored, which
 * the RFC allows, when an `If-Range` names another version of the file, when its unit is not
 * `bytes`, when any of its ranges is malformed (`bytes=5-2`, `x-`), and when it asks for more
 * than one range (a multipart answer buys a browser or a download resumer nothing).
 * Unsatisfiable only when none of its ranges overlaps the file.
 */
export function partOfRangeHeader(headers: IncomingHttpHeaders): PartOf | undefined {
  const { range, 'if-range': ifRange } = headers;
  if (range === undefined) return undefined;
  return (size, modifiedAt) => {
    if (
      ifRange !== undefined &&
      (typeof ifRange !== 'string' || !ifRangeHolds(ifRange, validatorsOf(size, modifiedAt)))
    ) {
      return undefined;
    }
    const parsed = parse(size, range);
    // Bit 1 of `code`: a malformed range; bit 2: a well-formed one past the end of the file.
    if (parsed.type !== 'bytes' || (parsed.code & 1) !== 0) return undefined;
    const [first, ...more] = parsed.ranges;
    if (!first) return (parsed.code & 2) !== 0 ? 'unsatisfiable' : undefined;
    return more.length === 0 ? { start: first.start, end: first.end } : undefined;
  };
}
