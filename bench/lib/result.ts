// The machine-readable output every benchmark script shares, so `bench/all.ts` can run them as
// child processes and put their numbers in one table. With `--json`, a script's human output goes
// to stderr and its stdout carries exactly one line: the JSON of a BenchResult.

/** One measured number, with the baseline measured in the same script when there is one. */
export interface Measure {
  /** What was measured, e.g. `wall, 4 workers`. */
  name: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline (same unit), measured in the same script. */
  baseline?: number;
  /** What the baseline is, e.g. `Playwright Test`. */
  baselineName?: string;
  /** Which way is better, so a reader knows whether a ratio above 1 is good news. */
  better?: 'lower' | 'higher';
}

/** What one benchmark script reports. */
export interface BenchResult {
  bench: string;
  /** The command that reproduces it. */
  command: string;
  measures: Measure[];
  /** Its own detailed Markdown table(s), appended to BENCHMARKS.md under the summary. */
  markdown: string;
}

/** True when the script was called with `--json`. */
export const jsonWanted = (argv: string[] = process.argv): boolean => argv.includes('--json');

/** `--name value` from argv, or the default. */
export function argOf(name: string, dflt: string, argv: string[] = process.argv): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] ?? dflt) : dflt;
}

/**
 * Call first in a script that supports `--json`: from then on console.log writes to stderr, so
 * stdout is kept for the one JSON line `emitResult` writes at the end.
 */
export function captureStdout(): void {
  if (jsonWanted()) console.log = (...args: unknown[]) => console.error(...args);
}

/** Print the result: JSON on stdout with `--json`, else nothing more (the tables were printed). */
export function emitResult(result: BenchResult): void {
  if (jsonWanted()) process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** value ÷ baseline, or undefined without a baseline. */
export const ratioOf = (m: Measure): number | undefined =>
  m.baseline !== undefined && m.baseline !== 0 ? m.value / m.baseline : undefined;

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** A Markdown table from a header and rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The p-th percentile (0–100) of a list, nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}
