/**
 * Why a test's regular expression (`matches`) cannot be accepted, or null when it can. Patterns
 * run on the server (text, URL and title checks), with RE2, a linear-time engine: no input can
 * make them backtrack for minutes. RE2 has no look-around and no back-references, so those are
 * refused here, when the test is saved or imported, rather than when it runs.
 */
export function regexProblem(pattern: string, flags = ''): string | null {
  try {
    new RegExp(pattern, flags);
  } catch (e) {
    return `invalid regular expression /${pattern}/: ${(e as Error).message}`;
  }
  if (/\(\?<?[=!]/.test(pattern)) {
    return `/${pattern}/ uses look-around ((?= (?! (?<= (?<!), which cannot run in linear time; use a separate check (for example "not")`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) {
    return `/${pattern}/ uses a back-reference, which cannot run in linear time`;
  }
  return null;
}
