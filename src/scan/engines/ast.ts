import { createRequire } from 'node:module';
import type * as AstGrep from '@ast-grep/napi';
import type { Lang, NapiConfig } from '@ast-grep/napi';
import type { RuleDef } from '../rule-schema.ts';
import type { SourceFile } from '../source-file.ts';
import { MAX_HITS_PER_FILE, type Hit, type Matcher } from './hit.ts';

let astGrep: typeof AstGrep | undefined;
/** ast-grep's native parser, loaded by the first `ast` rule: a server that never scans skips it. */
function loadAstGrep(): typeof AstGrep {
  astGrep ??= createRequire(import.meta.url)('@ast-grep/napi') as typeof AstGrep;
  return astGrep;
}

/** The tree-sitter grammar for a file: TSX for .tsx/.jsx (JSX parses there), else by language. */
function grammarOf(file: SourceFile): Lang | null {
  const { Lang } = loadAstGrep();
  if (/\.(tsx|jsx)$/i.test(file.path)) return Lang.Tsx;
  if (file.language === 'typescript') return Lang.TypeScript;
  if (file.language === 'javascript') return Lang.JavaScript;
  return null;
}

/**
 * `ast`: a structural pattern matched on the syntax tree by ast-grep (tree-sitter), so code in
 * comments or strings never matches and formatting does not matter. `pattern` is an ast-grep
 * pattern (`eval($CODE)`); `rule` is a full ast-grep rule object for relational checks.
 */
export function compileAst(rule: RuleDef): Matcher {
  const config = {
    rule: rule.rule ?? { pattern: rule.pattern },
    ...(rule.constraints ? { constraints: rule.constraints } : {}),
  } as NapiConfig;
  // A pattern that does not parse must fail when the rule is loaded, not on the first file.
  const { Lang, parse } = loadAstGrep();
  const probe = parse(Lang.TypeScript, '');
  probe.root().findAll(config);
  return (file) => {
    const lang = grammarOf(file);
    if (lang === null) return [];
    const nodes = parse(lang, file.text).root().findAll(config);
    const hits: Hit[] = [];
    for (const node of nodes.slice(0, MAX_HITS_PER_FILE)) {
      const r = node.range();
      hits.push({
        line: r.start.line + 1,
        column: r.start.column + 1,
        endLine: r.end.line + 1,
        endColumn: r.end.column + 1,
        matched: node.text(),
      });
    }
    return hits;
  };
}
