/** A line diff of an expected list against the received one, for failure messages. */

/** How many diff lines a message shows before it says how many more there are. */
const MAX_LINES = 40;
/** Past this many items on either side the diff is skipped (it is quadratic) and both are listed. */
const MAX_ITEMS = 300;

export interface ListDiffOptions {
  /** Received items no expected item matched are allowed (a subsequence check): shown as context. */
  extrasAllowed?: boolean;
}

/**
 * Lines like Playwright's array diff: `  "a"` matched, `- "b"` expected but not received,
 * `+ "c"` received but not expected. Matching pairs are the longest common subsequence, so one
 * missing item in the middle shows as one `-` line, not a shifted list.
 */
export function listDiff(
  expected: readonly string[],
  received: readonly string[],
  matches: (expectedIndex: number, receivedIndex: number) => boolean,
  opts: ListDiffOptions = {},
): string[] {
  const extra = opts.extrasAllowed ? '  ' : '+ ';
  if (expected.length > MAX_ITEMS || received.length > MAX_ITEMS) {
    return cap([...expected.map((e) => `- ${e}`), ...received.map((r) => `+ ${r}`)]);
  }
  const n = expected.length;
  const m = received.length;
  // lcs[i][j]: the longest common subsequence of expected[i..] and received[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    const below = lcs[i + 1] as number[];
    for (let j = m - 1; j >= 0; j--) {
      // A predicate is not equality: taking a match is not always best, so compare all three.
      const skip = Math.max(below[j] as number, row[j + 1] as number);
      row[j] = matches(i, j) ? Math.max((below[j + 1] as number) + 1, skip) : skip;
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const here = lcs[i]?.[j] ?? 0;
    if (i < n && j < m && matches(i, j) && here === (lcs[i + 1]?.[j + 1] ?? 0) + 1) {
      lines.push(`  ${received[j]}`);
      i++;
      j++;
    } else if (i < n && (j >= m || (lcs[i + 1]?.[j] ?? 0) === here)) {
      // Expected before received at a change, as Playwright's diff reads.
      lines.push(`- ${expected[i]}`);
      i++;
    } else {
      lines.push(`${extra}${received[j]}`);
      j++;
    }
  }
  return cap(lines);
}

function cap(lines: string[]): string[] {
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more lines`];
}
