import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  defaultGatePolicy,
  gateComparators,
  gateMetrics,
  severities,
  type GatePolicy,
} from '../domain/scan.ts';
import { AppError } from '../domain/errors.ts';
import { gateFromFailOn } from './gate.ts';
import {
  packOverridesSchema,
  ruleSchema,
  type PackOverrides,
  type RuleDef,
} from './rule-schema.ts';
import { shippedPackIds } from './shipped-packs.ts';

const gateConditionSchema = z.strictObject({
  metric: z.enum(gateMetrics),
  severity: z.enum(severities).optional(),
  comparator: z.enum(gateComparators),
  threshold: z.number().int().min(0),
});
const gatePolicySchema = z.strictObject({
  conditions: z.array(gateConditionSchema).max(20),
});

/** A suppression written down (repository file or project setting): who waived what, why, until when. */
export const suppressionSchema = z
  .strictObject({
    rule: z.string().min(1).max(100),
    /** Glob of the files it covers (default all). */
    path: z.string().min(1).max(300).optional(),
    /** Only this finding (its fingerprint). */
    fingerprint: z
      .string()
      .regex(/^[a-f0-9]{64}$/)
      .optional(),
    reason: z.string().min(3).max(1000),
    approver: z.string().min(1).max(200),
    /** ISO date or date-time; past it the finding counts again. */
    expires: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  })
  .meta({ id: 'ScanSuppression' });
export type Suppression = z.output<typeof suppressionSchema>;

/** `.greenlight/scan.yaml`, a project's stored scan config and `config_overrides` share this shape. */
export const scanConfigSchema = z
  .strictObject({
    packs: z
      .array(z.string().min(1).max(63))
      .max(100)
      .optional()
      .describe('Enabled packs (default: every shipped pack)'),
    overrides: packOverridesSchema.optional().describe('pack → rule → { enabled, severity }'),
    rules: z.array(ruleSchema).max(500).optional().describe('Extra rules, as a pack named "local"'),
    exclude: z
      .array(z.string().min(1).max(300))
      .max(200)
      .optional()
      .describe('Globs of files never scanned'),
    maxFileBytes: z.number().int().min(1).max(50_000_000).optional(),
    fileTimeoutMs: z.number().int().min(100).max(300_000).optional(),
    threads: z.number().int().min(1).max(16).optional(),
    gate: gatePolicySchema.optional(),
    suppressions: z.array(suppressionSchema).max(1000).optional(),
  })
  .meta({ id: 'ScanConfig' });
export type ScanConfig = z.output<typeof scanConfigSchema>;

/** Everything a scan needs to know, defaults filled in. */
export interface ResolvedScanConfig {
  packs: string[];
  overrides: PackOverrides;
  rules: RuleDef[];
  exclude: string[];
  maxFileBytes: number;
  fileTimeoutMs: number;
  threads: number;
  gate: GatePolicy;
  suppressions: Suppression[];
}

export const defaultScanConfig: ResolvedScanConfig = {
  packs: [...shippedPackIds],
  overrides: {},
  rules: [],
  exclude: [],
  maxFileBytes: 1_000_000,
  fileTimeoutMs: 10_000,
  threads: 2,
  gate: defaultGatePolicy,
  suppressions: [],
};

/** Later layers win: packs and gate replace, overrides merge per rule, lists add up. */
export function mergeScanConfig(
  base: ResolvedScanConfig,
  ...layers: (ScanConfig | undefined)[]
): ResolvedScanConfig {
  let out = base;
  for (const l of layers) {
    if (!l) continue;
    const overrides: PackOverrides = { ...out.overrides };
    for (const [pack, rules] of Object.entries(l.overrides ?? {})) {
      overrides[pack] = { ...overrides[pack], ...rules };
    }
    out = {
      packs: l.packs ?? out.packs,
      overrides,
      rules: [...out.rules, ...(l.rules ?? [])],
      exclude: [...out.exclude, ...(l.exclude ?? [])],
      maxFileBytes: l.maxFileBytes ?? out.maxFileBytes,
      fileTimeoutMs: l.fileTimeoutMs ?? out.fileTimeoutMs,
      threads: l.threads ?? out.threads,
      gate: l.gate ?? out.gate,
      suppressions: [...out.suppressions, ...(l.suppressions ?? [])],
    };
  }
  return out;
}

/** sentrik's pack ids that have a Greenlight equivalent. */
const sentrikPackAliases: Record<string, string> = { 'owasp-top-10': 'owasp-js' };

/**
 * sentrik's `.guard.yaml` (and the same keys in `config_overrides` of its API) in Greenlight's
 * shape: `standards_packs`, `gate_fail_on`, `pack_overrides`, `exclude`/`exclude_paths`,
 * `max_workers`, `parallel_scan`. Packs Greenlight does not have are reported in `warnings`.
 */
export function fromGuardConfig(
  raw: Record<string, unknown>,
  warnings: string[],
  knownPacks: readonly string[] = shippedPackIds,
): ScanConfig {
  const out: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'standards_packs' && Array.isArray(v)) {
      const packs = v.map((p) => sentrikPackAliases[String(p)] ?? String(p));
      out.packs = packs.filter((p) => {
        const known = knownPacks.includes(p);
        if (!known) warnings.push(`pack ${p} is not available here; it was left out`);
        return known;
      });
    } else if (k === 'gate_fail_on' && Array.isArray(v)) {
      out.gate = gateFromFailOn(
        v.filter((s): s is (typeof severities)[number] =>
          (severities as readonly string[]).includes(String(s)),
        ),
      );
    } else if (k === 'pack_overrides' && v && typeof v === 'object') {
      out.overrides = Object.fromEntries(
        Object.entries(v).map(([p, r]) => [sentrikPackAliases[p] ?? p, r]),
      );
    } else if (
      (k === 'exclude' || k === 'exclude_paths' || k === 'ignore_paths') &&
      Array.isArray(v)
    ) {
      out.exclude = v.map(String);
    } else if (k === 'max_workers' && typeof v === 'number') {
      out.threads = Math.max(1, Math.min(16, Math.floor(v)));
    } else if (k === 'parallel_scan' && v === false) {
      out.threads = 1;
    } else if (k in scanConfigSchema.shape) {
      rest[k] = v;
    }
    // sentrik settings with no meaning here (output_dir, reporters, devops_*, …) are ignored.
  }
  return parseScanConfig({ ...rest, ...out }, '.guard.yaml');
}

/** Validate a config object; `where` names its source in the error. */
export function parseScanConfig(raw: unknown, where: string): ScanConfig {
  const r = scanConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new AppError(
      'validation_failed',
      `${where}: ${details[0]?.path}: ${details[0]?.message}`,
      details,
    );
  }
  return r.data;
}

/** Parse a config file's YAML text (`.greenlight/scan.yaml` or sentrik's `.guard.yaml`). */
export function parseConfigFile(
  text: string,
  name: string,
  warnings: string[],
  knownPacks?: readonly string[],
): ScanConfig {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new AppError(
      'validation_failed',
      `${name} does not parse: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (typeof data !== 'object' || Array.isArray(data))
    throw new AppError('validation_failed', `${name} must be a mapping`);
  return name.endsWith('.guard.yaml')
    ? fromGuardConfig(data as Record<string, unknown>, warnings, knownPacks)
    : parseScanConfig(data, name);
}

/** Where a repository keeps its scan config; the first that exists is read. */
export const configFiles = [
  '.greenlight/scan.yaml',
  '.greenlight/scan.yml',
  '.guard.yaml',
] as const;
export const suppressionFile = '.greenlight/suppressions.yaml';
