import type { RuleDef } from '../rule-schema.ts';
import { hitAt, type Hit, type Matcher } from './hit.ts';
import { compileRe2, matchAll } from './re2.ts';

/** Module specifiers in import/export-from, dynamic import() and require() (group 2). */
const IMPORT = String.raw`(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"\r\n]{1,300})['"]`;

/** `x` matches exactly; `x/*` or `x*` matches by prefix. */
function forbids(list: string[], spec: string): string | undefined {
  return list.find((f) => (f.endsWith('*') ? spec.startsWith(f.slice(0, -1)) : spec === f));
}

/** `file-policy`: size and line limits of the whole file, and imports it must not make. */
export function compileFilePolicy(rule: RuleDef): Matcher {
  const policy = rule.policy ?? {};
  const imports = compileRe2(IMPORT, 'm', true);
  return (file) => {
    const hits: Hit[] = [];
    if (policy.maxBytes !== undefined && file.bytes.length > policy.maxBytes) {
      hits.push({
        matched: 'maxBytes',
        message: `${rule.message} (${file.bytes.length} bytes, limit ${policy.maxBytes})`,
      });
    }
    if (policy.maxLines !== undefined && file.lineCount > policy.maxLines) {
      hits.push({
        matched: 'maxLines',
        message: `${rule.message} (${file.lineCount} lines, limit ${policy.maxLines})`,
      });
    }
    const banned = policy.forbiddenImports ?? [];
    if (banned.length > 0) {
      for (const m of matchAll(imports, file.bytes, 500)) {
        const [s, e] = m.groups[2] ?? [-1, -1];
        if (s < 0) continue;
        const spec = file.bytes.subarray(s, e).toString('utf8');
        const rule_ = forbids(banned, spec);
        if (rule_)
          hits.push(
            hitAt(file, m.start, m.end, { message: `${rule.message} (imports "${spec}")` }),
          );
      }
    }
    return hits;
  };
}
