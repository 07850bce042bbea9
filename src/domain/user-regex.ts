import RE2 from 're2';

/**
 * Compile a regular expression a test author wrote (`matches`, console `ignore`) with RE2, a
 * linear-time engine. Test definitions come from API callers and imports, and their patterns are
 * matched against page text in the server's process: a backtracking engine would let
 * `(a+)+$` freeze the event loop. RE2 refuses backreferences and look-around instead; the error
 * says so. Throws a plain Error with the reason.
 */
export function compileUserRegex(pattern: string, ignoreCase = false): RegExp {
  try {
    return new RE2(pattern, ignoreCase ? 'i' : '');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `invalid regular expression /${pattern}/: ${why} (patterns run in RE2, a linear-time ` +
        'engine: backreferences and look-around are not supported)',
      { cause: e },
    );
  }
}

/** The reason `pattern` cannot be used, or null when it compiles. */
export function userRegexProblem(pattern: string): string | null {
  try {
    compileUserRegex(pattern);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
