/** "1 test", "2 tests", "0 tests": a count with its noun (regular plurals, or the one given). */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}
