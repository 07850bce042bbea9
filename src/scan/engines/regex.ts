import type { RuleDef } from '../rule-schema.ts';
import { hitAt, MAX_HITS_PER_FILE, type Matcher } from './hit.ts';
import { compileRe2, matchAll, matchesAny } from './re2.ts';

/** `regex`: every match of the pattern is a finding (when the file also matches `allOf`). */
export function compileRegex(rule: RuleDef): Matcher {
  const re = compileRe2(rule.pattern as string, rule.flags);
  const allOf = (rule.allOf ?? []).map((p) => compileRe2(p, rule.flags));
  return (file) => {
    if (!allOf.every((r) => matchesAny(r, file.bytes))) return [];
    return [...matchAll(re, file.bytes, MAX_HITS_PER_FILE)].map((m) => hitAt(file, m.start, m.end));
  };
}

/** `required`: a file that never matches the pattern is one whole-file finding. */
export function compileRequired(rule: RuleDef): Matcher {
  const re = compileRe2(rule.pattern as string, rule.flags);
  return (file) => (matchesAny(re, file.bytes) ? [] : [{ matched: `missing:${rule.pattern}` }]);
}
