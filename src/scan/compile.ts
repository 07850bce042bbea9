import picomatch from 'picomatch';
import { scanFingerprint, type ScanFinding } from '../domain/scan.ts';
import { compileAst } from './engines/ast.ts';
import { compileFilePolicy } from './engines/file-policy.ts';
import type { Hit, Matcher } from './engines/hit.ts';
import { compileRegex, compileRequired } from './engines/regex.ts';
import { compileSecret, maskSecret } from './engines/secret.ts';
import type { RuleDef } from './rule-schema.ts';
import type { SourceFile } from './source-file.ts';
import { defined } from '../domain/defined.ts';

/** A rule ready to run: which files it applies to, and its matcher. */
export interface CompiledRule {
  def: RuleDef;
  applies(file: SourceFile): boolean;
  match: Matcher;
}

const engines: Record<RuleDef['kind'], (r: RuleDef) => Matcher> = {
  regex: compileRegex,
  required: compileRequired,
  secret: compileSecret,
  ast: compileAst,
  'file-policy': compileFilePolicy,
};

/** Compile one rule; throws with the reason when a pattern is not valid. */
export function compileRule(def: RuleDef): CompiledRule {
  const match = engines[def.kind](def);
  const include = def.paths.filter((p) => !p.startsWith('!'));
  const exclude = def.paths.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const inc = include.length ? picomatch(include, { dot: true }) : () => true;
  const exc = exclude.length ? picomatch(exclude, { dot: true }) : () => false;
  const anyLanguage = def.languages.includes('any');
  return {
    def,
    match,
    applies: (file) =>
      (anyLanguage || def.languages.includes(file.language as never)) &&
      inc(file.path) &&
      !exc(file.path),
  };
}

const MAX_SNIPPET = 300;

/** The line a finding points at, trimmed, with the secret masked wherever it appears. */
function snippetOf(file: SourceFile, hit: Hit): string | undefined {
  if (hit.line === undefined) return undefined;
  let text = file.lineText(hit.line - 1).trim();
  if (hit.secret) text = text.split(hit.secret).join(maskSecret(hit.secret));
  return text.length > MAX_SNIPPET ? `${text.slice(0, MAX_SNIPPET - 1)}…` : text;
}

const CONTEXT = 2;

/** The finding's lines with two lines either side, each trimmed, the secret masked. */
function excerptOf(file: SourceFile, hit: Hit): { startLine: number; lines: string[] } | undefined {
  if (hit.line === undefined) return undefined;
  const first = Math.max(1, hit.line - CONTEXT);
  const last = Math.min(file.lineCount, (hit.endLine ?? hit.line) + CONTEXT, first + 20);
  const lines: string[] = [];
  for (let n = first; n <= last; n++) {
    let t = file.lineText(n - 1);
    if (hit.secret) t = t.split(hit.secret).join(maskSecret(hit.secret));
    lines.push(t.length > MAX_SNIPPET ? `${t.slice(0, MAX_SNIPPET - 1)}…` : t);
  }
  return { startLine: first, lines };
}

/** Findings of one rule's hits in one file, with line-independent fingerprints. */
export function findingsOf(rule: RuleDef, file: SourceFile, hits: Hit[]): ScanFinding[] {
  const seen = new Map<string, number>();
  return hits.map((hit) => {
    // Identical offending text twice in a file: two findings, told apart by their order.
    const occurrence = seen.get(hit.matched) ?? 0;
    seen.set(hit.matched, occurrence + 1);
    const snippet = snippetOf(file, hit);
    const excerpt = excerptOf(file, hit);
    return {
      ruleId: rule.id,
      ruleName: rule.name,
      ruleDescription: rule.message,
      ...(rule.help ? { help: rule.help } : {}),
      ...(rule.helpUri ? { helpUri: rule.helpUri } : {}),
      severity: rule.severity,
      message: hit.message ?? rule.message,
      file: file.path,
      ...(hit.line !== undefined
        ? {
            startLine: hit.line,
            startColumn: hit.column,
            endLine: hit.endLine,
            endColumn: hit.endColumn,
          }
        : {}),
      ...defined({ snippet }),
      ...(excerpt ? { excerpt } : {}),
      fingerprint: scanFingerprint(rule.id, file.path, hit.matched, occurrence),
      kind: rule.kind,
      ...(rule.cwe.length ? { cwe: rule.cwe } : {}),
      ...(rule.standard ? { standard: rule.standard } : {}),
      ...(rule.clause ? { clause: rule.clause } : {}),
      ...(rule.tags.length ? { tags: rule.tags } : {}),
    };
  });
}

/** Why a rule failed on a file: the scan becomes an error, never a silent pass. */
export class RuleCrash extends Error {
  readonly ruleId: string;
  readonly file: string;
  constructor(ruleId: string, file: string, cause: unknown) {
    super(
      `rule ${ruleId} crashed on ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'RuleCrash';
    this.ruleId = ruleId;
    this.file = file;
  }
}

/** Run every applicable rule over one file. */
export function scanSource(rules: readonly CompiledRule[], file: SourceFile): ScanFinding[] {
  const out: ScanFinding[] = [];
  const secrets = new Set<string>();
  for (const rule of rules) {
    if (!rule.applies(file)) continue;
    let hits: Hit[];
    try {
      hits = rule.match(file);
    } catch (e) {
      throw new RuleCrash(rule.def.id, file.path, e);
    }
    for (const h of hits) if (h.secret) secrets.add(h.secret);
    if (hits.length) out.push(...findingsOf(rule.def, file, hits));
  }
  // Any finding's excerpt may show a line holding a secret another rule found: mask them all.
  if (secrets.size > 0) for (const f of out) maskAll(f, [...secrets]);
  return out;
}

function maskAll(f: ScanFinding, secrets: string[]): void {
  const mask = (t: string): string =>
    secrets.reduce((acc, s) => acc.split(s).join(maskSecret(s)), t);
  if (f.snippet) f.snippet = mask(f.snippet);
  if (f.excerpt) f.excerpt = { ...f.excerpt, lines: f.excerpt.lines.map(mask) };
}
