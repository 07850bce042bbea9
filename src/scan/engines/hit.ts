import type { SourceFile } from '../source-file.ts';

/**
 * What an engine reports for one match: where (1-based; no line for a whole-file finding), the
 * matched text (the finding's identity) and, for secrets, the secret to mask wherever the text
 * is shown.
 */
export interface Hit {
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  matched: string;
  secret?: string;
  /** A message for this hit instead of the rule's (file-policy says which limit). */
  message?: string;
}

/** One rule compiled for matching: called once per file the rule applies to. */
export type Matcher = (file: SourceFile) => Hit[];

/** At most this many hits of one rule in one file: a runaway pattern must not flood the report. */
export const MAX_HITS_PER_FILE = 200;

/** A hit spanning the byte range [start, end) of the file. */
export function hitAt(file: SourceFile, start: number, end: number, extra: Partial<Hit> = {}): Hit {
  const a = file.position(start);
  const b = file.position(end);
  return {
    line: a.line,
    column: a.column,
    endLine: b.line,
    endColumn: b.column,
    matched: file.bytes.subarray(start, end).toString('utf8'),
    ...extra,
  };
}
