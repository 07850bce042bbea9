import type RE2 from 're2';
import type { RuleDef } from '../rule-schema.ts';
import { hitAt, MAX_HITS_PER_FILE, type Matcher } from './hit.ts';
import { compileRe2, matchAll } from './re2.ts';

/** Shannon entropy of a string in bits per character (gitleaks' measure of randomness). */
function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * `secret`, in the style of gitleaks' rules: a cheap keyword pre-filter (a file without any of the
 * keywords is skipped before any regex runs), the pattern, then the secret itself (capture group
 * `secretGroup`, default the first group when there is one) must reach the minimum `entropy` and
 * match none of the `allow` patterns (placeholders, examples).
 */
export function compileSecret(rule: RuleDef): Matcher {
  const re = compileRe2(rule.pattern as string, rule.flags, true);
  const keywords = (rule.keywords ?? []).map((k) => k.toLowerCase());
  const allow: RE2[] = (rule.allow ?? []).map((p) => compileRe2(p, 'i'));
  return (file) => {
    if (keywords.length > 0 && !keywords.some((k) => file.lower.includes(k))) return [];
    const hits = [];
    for (const m of matchAll(re, file.bytes, MAX_HITS_PER_FILE)) {
      const group = rule.secretGroup ?? (m.groups.length > 1 ? 1 : 0);
      const [s, e] = m.groups[group] ?? [m.start, m.end];
      if (s < 0) continue;
      const secret = file.bytes.subarray(s, e).toString('utf8');
      if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) continue;
      if (allow.some((a) => a.test(secret))) continue;
      hits.push(hitAt(file, m.start, m.end, { secret }));
    }
    return hits;
  };
}

/** The secret shown safely: its first four characters, then a mask (never the whole value). */
export function maskSecret(secret: string): string {
  const keep = secret.length >= 12 ? 4 : 0;
  return `${secret.slice(0, keep)}${'*'.repeat(Math.min(8, Math.max(4, secret.length - keep)))}`;
}
