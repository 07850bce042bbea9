import { describe, expect, it } from 'vitest';
import { partOfRangeHeader, validatorsOf } from '../../src/api/byte-range.ts';

/** The file's last write: 2026-12-06 10:20:30.456 UTC. */
const written = new Date(Date.UTC(2026, 11, 6, 10, 20, 30, 456));

/** What a `Range` header picks of a 100-byte file (RFC 9110 §14.2). */
function pick(range: string | undefined, extra: Record<string, string> = {}, size = 100) {
  const partOf = partOfRangeHeader({ ...(range === undefined ? {} : { range }), ...extra });
  return partOf ? partOf(size, written) : 'no range';
}

describe('partOfRangeHeader', () => {
  it('reads the whole file without a Range header', () => {
    expect(pick(undefined)).toBe('no range');
  });

  it('picks one range: closed, open, suffix, and an end past the file cut to its last byte', () => {
    expect(pick('bytes=0-9')).toEqual({ start: 0, end: 9 });
    expect(pick('bytes=10-')).toEqual({ start: 10, end: 99 });
    expect(pick('bytes=-5')).toEqual({ start: 95, end: 99 });
    expect(pick('bytes=-500')).toEqual({ start: 0, end: 99 });
    expect(pick('bytes=90-200')).toEqual({ start: 90, end: 99 });
    expect(pick('BYTES= 3-4 ')).toEqual({ start: 3, end: 4 });
  });

  it('is unsatisfiable only when no range overlaps the file', () => {
    expect(pick('bytes=100-')).toBe('unsatisfiable');
    expect(pick('bytes=150-160')).toBe('unsatisfiable');
    expect(pick('bytes=0-0', {}, 0)).toBe('unsatisfiable');
    // One satisfiable range among unsatisfiable ones is served.
    expect(pick('bytes=200-300,5-6')).toEqual({ start: 5, end: 6 });
  });

  it('honours If-Range only when it names this version of the file, by strong ETag or exact date', () => {
    const { etag, lastModified } = validatorsOf(100, written);
    expect(etag).toBe('"64-1a24ade9378"');
    expect(lastModified).toBe('Sun, 06 Dec 2026 10:20:30 GMT');
    expect(pick('bytes=0-9', { 'if-range': etag })).toEqual({ start: 0, end: 9 });
    expect(pick('bytes=0-9', { 'if-range': lastModified })).toEqual({ start: 0, end: 9 });
    // Another version: its size or its time differ. A weak tag never matches (§13.1.5).
    expect(pick('bytes=0-9', { 'if-range': validatorsOf(101, written).etag })).toBeUndefined();
    const later = new Date(written.getTime() + 1000);
    expect(pick('bytes=0-9', { 'if-range': validatorsOf(100, later).etag })).toBeUndefined();
    expect(pick('bytes=0-9', { 'if-range': later.toUTCString() })).toBeUndefined();
    expect(pick('bytes=0-9', { 'if-range': `W/${etag}` })).toBeUndefined();
    expect(pick('bytes=0-9', { 'if-range': 'not a date' })).toBeUndefined();
  });

  it('ignores malformed headers, other units, several ranges and another If-Range', () => {
    for (const header of ['bytes=5-2', 'bytes=abc', 'bytes=', 'bytes=-', 'bytes', 'items=0-5']) {
      expect(pick(header), header).toBeUndefined();
    }
    expect(pick('bytes=0-1,5-6')).toBeUndefined();
    expect(pick('bytes=0-4,5-9')).toBeUndefined();
    expect(pick('bytes=0-9', { 'if-range': '"an-etag"' })).toBeUndefined();
    // A suffix of an empty file is the empty file itself.
    expect(pick('bytes=-5', {}, 0)).toBeUndefined();
  });
});
