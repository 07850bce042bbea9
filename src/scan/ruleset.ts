import { AppError } from '../domain/errors.ts';
import type { PackDef, PackOverrides, RuleDef } from './rule-schema.ts';

/** A rule with the pack it came from, as the scanner and `GET /rules` see it. */
export interface ActiveRule extends RuleDef {
  pack: string;
}

/**
 * The rules a scan runs: every rule of the enabled packs (shipped and custom), with the project's
 * overrides applied (a rule switched off is left out; a severity override replaces the pack's).
 * A rule id that two enabled packs both define is an error, not a silent pick.
 */
export function resolveRules(
  packs: readonly PackDef[],
  enabled: readonly string[],
  overrides: PackOverrides = {},
): ActiveRule[] {
  const byId = new Map(packs.map((p) => [p.id, p]));
  const unknown = enabled.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new AppError(
      'validation_failed',
      `unknown pack${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      {
        known: [...byId.keys()],
      },
    );
  }
  const out: ActiveRule[] = [];
  const owner = new Map<string, string>();
  for (const id of enabled) {
    const pack = byId.get(id) as PackDef;
    for (const rule of pack.rules) {
      const o = overrides[pack.id]?.[rule.id] ?? {};
      const on = o.enabled ?? rule.enabled;
      if (!on) continue;
      const other = owner.get(rule.id);
      if (other !== undefined && other !== pack.id) {
        throw new AppError(
          'validation_failed',
          `rule ${rule.id} is defined by both pack ${other} and pack ${pack.id}`,
        );
      }
      owner.set(rule.id, pack.id);
      out.push({ ...rule, severity: o.severity ?? rule.severity, pack: pack.id });
    }
  }
  return out;
}
