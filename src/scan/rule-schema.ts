import { z } from 'zod';
import { ruleKinds, severities } from '../domain/scan.ts';

/** Languages a rule can name; `any` matches every text file. */
export const languages = [
  'any',
  'javascript',
  'typescript',
  'json',
  'yaml',
  'python',
  'go',
  'java',
  'shell',
  'markdown',
  'html',
  'css',
] as const;

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-" (at most 100)');
const text = (max: number) => z.string().min(1).max(max);

/** A file-policy rule's limits: any of them may be set. */
const policyShape = z
  .strictObject({
    maxBytes: z.number().int().positive().optional(),
    maxLines: z.number().int().positive().optional(),
    /** Module specifiers (exact, or ending in `*` for a prefix) a file must not import. */
    forbiddenImports: z.array(text(200)).max(200).optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'set at least one limit');

/**
 * One rule as written in YAML. Common fields for every kind, then the kind's own:
 * `regex` / `required` / `secret` take `pattern` (RE2 syntax: linear time, no backreferences or
 * look-around); `secret` adds `keywords`, `entropy`, `secretGroup`, `allow`; `ast` takes an
 * ast-grep `pattern` or `rule`; `file-policy` takes `policy`.
 */
export const ruleSchema = z
  .strictObject({
    id,
    name: text(200),
    severity: z.enum(severities),
    kind: z.enum(ruleKinds),
    languages: z.array(z.enum(languages)).min(1).max(20).default(['any']),
    /** Globs the file path must match (`!glob` excludes); default every file. */
    paths: z.array(text(300)).max(100).default([]),
    message: text(1000),
    help: text(4000).optional(),
    helpUri: z.url().max(2000).optional(),
    cwe: z
      .array(z.string().regex(/^CWE-\d{1,5}$/, 'CWE-<number>'))
      .max(20)
      .default([]),
    standard: text(200).optional(),
    clause: text(200).optional(),
    tags: z.array(text(100)).max(50).default([]),
    pattern: text(4000).optional(),
    /** Regex flags besides the implied global one: any of `i`, `m`, `s`. */
    flags: z
      .string()
      .regex(/^[ims]*$/, 'only i, m and s')
      .optional(),
    /** regex: the file must also match every one of these for the rule to report. */
    allOf: z.array(text(4000)).max(20).optional(),
    keywords: z.array(text(100)).max(50).optional(),
    entropy: z.number().min(0).max(8).optional(),
    secretGroup: z.number().int().min(0).max(20).optional(),
    allow: z.array(text(1000)).max(50).optional(),
    /** ast: a full ast-grep rule object (pattern, kind, has, inside, not, all, any, regex). */
    rule: z.record(z.string(), z.unknown()).optional(),
    constraints: z.record(z.string(), z.unknown()).optional(),
    policy: policyShape.optional(),
    enabled: z.boolean().default(true),
  })
  .superRefine((r, ctx) => {
    const need = (field: string, ok: boolean, why: string): void => {
      if (!ok) ctx.addIssue({ code: 'custom', path: [field], message: why });
    };
    if (r.kind === 'regex' || r.kind === 'required' || r.kind === 'secret') {
      need('pattern', r.pattern !== undefined, `a ${r.kind} rule needs a pattern`);
    }
    if (r.kind === 'ast') {
      need(
        'pattern',
        r.pattern !== undefined || r.rule !== undefined,
        'an ast rule needs a pattern or a rule',
      );
      const ok = r.languages.every((l) => l === 'javascript' || l === 'typescript');
      need('languages', ok, 'ast rules support javascript and typescript');
    }
    if (r.kind === 'file-policy')
      need('policy', r.policy !== undefined, 'a file-policy rule needs a policy');
  });
export type RuleDef = z.output<typeof ruleSchema>;

/** A pack: a named group of rules, imported and exported as YAML. */
export const packSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-"'),
  name: text(200),
  description: text(2000).optional(),
  version: z.union([z.string().max(50), z.number()]).optional(),
  rules: z.array(ruleSchema).min(1).max(2000),
});
export type PackDef = z.output<typeof packSchema>;

/** Per-rule override in a project: turn it off or change its severity. */
const ruleOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  severity: z.enum(severities).optional(),
});

/** pack id → rule id → override (sentrik's `pack_overrides`). */
export const packOverridesSchema = z.record(z.string(), z.record(z.string(), ruleOverrideSchema));
export type PackOverrides = z.output<typeof packOverridesSchema>;
