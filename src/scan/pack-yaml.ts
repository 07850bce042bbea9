import { parse as parseYaml, stringify } from 'yaml';
import type { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { compileRule } from './compile.ts';
import { packSchema, ruleSchema, type PackDef, type RuleDef } from './rule-schema.ts';

/** sentrik's rule types and the kinds they become here. */
const sentrikKinds: Record<string, string> = {
  regex: 'regex',
  required_pattern: 'required',
  file_policy: 'file-policy',
  ast: 'ast',
  secret: 'secret',
};

/** sentrik's `file_policy` checks that have an equivalent limit here. */
const sentrikChecks: Record<string, (p: Record<string, unknown>) => Record<string, unknown>> = {
  max_file_length: (p) => ({ maxLines: Number(p.max_lines ?? p.max ?? 500) }),
  file_length: (p) => ({ maxLines: Number(p.max_lines ?? p.max ?? 500) }),
  max_file_size: (p) => ({ maxBytes: Number(p.max_bytes ?? p.max ?? 1_000_000) }),
  forbidden_imports: (p) => ({ forbiddenImports: p.imports ?? p.modules }),
};

type Loose = Record<string, unknown>;

/**
 * A rule written in sentrik's vocabulary (`type`, `file_glob`, `description`,
 * `remediation_guidance`, `all_patterns`, `check` + `params`) in Greenlight's; a rule already in
 * Greenlight's shape passes through.
 */
function fromSentrikRule(raw: Loose, where: string): Loose {
  if (raw.kind !== undefined || raw.type === undefined) return raw;
  const {
    type,
    file_glob,
    description,
    remediation_guidance,
    all_patterns,
    check,
    params,
    ...rest
  } = raw;
  const kind = sentrikKinds[String(type)];
  if (!kind) {
    throw new AppError(
      'validation_failed',
      `${where}: rule type "${String(type)}" is not supported here`,
      {
        supported: Object.keys(sentrikKinds),
      },
    );
  }
  const out: Loose = { ...rest, kind };
  if (typeof file_glob === 'string') out.paths = [file_glob];
  if (out.message === undefined) out.message = description ?? out.name;
  if (remediation_guidance !== undefined) out.help = remediation_guidance;
  if (Array.isArray(all_patterns) && all_patterns.length > 0) {
    out.pattern ??= all_patterns[0];
    if (all_patterns.length > 1) out.allOf = all_patterns.slice(1);
  }
  if (kind === 'file-policy') {
    const make = sentrikChecks[String(check)];
    if (!make) {
      throw new AppError(
        'validation_failed',
        `${where}: file_policy check "${String(check)}" is not supported here`,
        {
          supported: Object.keys(sentrikChecks),
        },
      );
    }
    out.policy = make((params as Loose | undefined) ?? {});
  }
  if (kind === 'ast' && out.pattern === undefined && out.rule === undefined) {
    throw new AppError(
      'validation_failed',
      `${where}: sentrik's Python ast_check rules have no equivalent; write an ast-grep pattern`,
    );
  }
  return out;
}

function issuesOf(e: z.ZodError, prefix: string): { path: string; message: string }[] {
  return e.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
  }));
}

/** Validate a rule fully: its schema and that its patterns compile (RE2, ast-grep). */
export function checkRule(raw: unknown, where: string): RuleDef {
  const parsed = ruleSchema.safeParse(
    raw && typeof raw === 'object' ? fromSentrikRule(raw as Loose, where) : raw,
  );
  if (!parsed.success) {
    const details = issuesOf(parsed.error, where);
    throw new AppError(
      'validation_failed',
      `invalid rule: ${details[0]?.path}: ${details[0]?.message}`,
      details,
    );
  }
  try {
    compileRule(parsed.data);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new AppError('validation_failed', `rule ${parsed.data.id}: ${message}`, [
      { path: where, message },
    ]);
  }
  return parsed.data;
}

/** A pack from parsed data (ours or sentrik's pack.yaml, which has no id: `fallbackId` names it). */
export function checkPack(raw: unknown, fallbackId?: string): PackDef {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AppError('validation_failed', 'a pack is a mapping with id, name and rules');
  }
  const loose = raw as Loose;
  const rules = Array.isArray(loose.rules) ? loose.rules : [];
  const { rules: _rules, ...rest } = loose;
  const head = packSchema.omit({ rules: true }).safeParse({
    ...rest,
    id: loose.id ?? fallbackId ?? slugOf(loose.name),
  });
  if (!head.success) {
    const details = issuesOf(head.error, '');
    throw new AppError(
      'validation_failed',
      `invalid pack: ${details[0]?.path}: ${details[0]?.message}`,
      details,
    );
  }
  if (rules.length === 0)
    throw new AppError('validation_failed', 'invalid pack: rules: at least one rule');
  const checked = rules.map((r, i) => checkRule(r, `rules.${i}`));
  const seen = new Set<string>();
  for (const r of checked) {
    if (seen.has(r.id))
      throw new AppError('validation_failed', `invalid pack: rule id ${r.id} appears twice`);
    seen.add(r.id);
  }
  return { ...head.data, rules: checked };
}

const slugOf = (name: unknown): string | undefined =>
  typeof name === 'string'
    ? name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 63) || undefined
    : undefined;

/** Parse a pack's YAML text; a YAML syntax error is a validation error with its line. */
export function parsePackYaml(text: string, fallbackId?: string): PackDef {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new AppError(
      'validation_failed',
      `pack YAML does not parse: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return checkPack(data, fallbackId);
}

/** A pack as YAML, defaults left out so an export reads like what was written. */
export function packToYaml(pack: PackDef): string {
  const rules = pack.rules.map((r) => {
    const { enabled, languages, paths, cwe, tags, ...rest } = r;
    return {
      ...rest,
      ...(languages.length === 1 && languages[0] === 'any' ? {} : { languages }),
      ...(paths.length ? { paths } : {}),
      ...(cwe.length ? { cwe } : {}),
      ...(tags.length ? { tags } : {}),
      ...(enabled ? {} : { enabled }),
    };
  });
  const { rules: _rules, ...head } = pack;
  return stringify({ ...head, rules }, { lineWidth: 0 });
}
