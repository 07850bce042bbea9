import { AppError, notFound } from '../domain/errors.ts';
import { roleAtLeast, type Principal } from '../domain/principal.ts';
import { checkPack, packToYaml, parsePackYaml } from '../scan/pack-yaml.ts';
import { packOverridesSchema, type PackDef, type PackOverrides } from '../scan/rule-schema.ts';
import { resolveRules, type ActiveRule } from '../scan/ruleset.ts';
import {
  mergeScanConfig,
  parseScanConfig,
  suppressionSchema,
  type ScanConfig,
} from '../scan/scan-config.ts';
import { isShippedPack, shippedPacks } from '../scan/shipped-packs.ts';
import type { Store } from '../store/connect.ts';
import type { ScanApproval } from '../store/scan-approvals.ts';
import type { StoredSuppression } from '../store/scan-settings.ts';
import { governanceOf, type Governance } from './scan-governance.ts';
import { actorOf, type ScanService } from './scan-service.ts';

/** A pack as listed: where it comes from and whether the project runs it. */
export interface PackInfo {
  id: string;
  name: string;
  description: string | null;
  rules: number;
  builtin: boolean;
  enabled: boolean;
  overrides: Record<string, { enabled?: boolean; severity?: string }>;
}

/**
 * The scan gate's settings, shared by Greenlight's routes and the sentrik adapter: every change is
 * validated, stored and written to the project's audit log with who made it.
 */
export class ScanAdmin {
  readonly #store: Store;
  readonly #scans: ScanService;

  constructor(store: Store, scans: ScanService) {
    this.#store = store;
    this.#scans = scans;
  }

  async #audit(
    projectId: string,
    who: Principal,
    action: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.#store.scanAudit.append(projectId, { actor: actorOf(who), action, detail });
  }

  async config(projectId: string): Promise<{
    config: ScanConfig;
    governance: Governance;
    effective: ReturnType<typeof mergeScanConfig>;
  }> {
    const s = await this.#scans.projectSettings(projectId);
    return { config: s.stored, governance: s.governance, effective: s.config };
  }

  /** Replace the stored config and/or governance (each validated; packs must exist). */
  async updateConfig(
    projectId: string,
    who: Principal,
    body: { config?: unknown; governance?: unknown },
  ): Promise<void> {
    const current = await this.#scans.projectSettings(projectId);
    const config =
      body.config === undefined ? current.stored : parseScanConfig(body.config, 'config');
    const governance =
      body.governance === undefined ? current.governance : governanceOf(body.governance);
    // Unknown packs or clashing rule ids fail here, not at the next scan.
    const all = [...shippedPacks(), ...current.packs];
    const merged = mergeScanConfig(current.config, config);
    resolveRules(all, merged.packs, merged.overrides);
    await this.#store.scanSettings.put(projectId, { config, governance, updatedBy: actorOf(who) });
    await this.#audit(projectId, who, 'config.updated', { config, governance });
  }

  /** Problems with the stored config, as sentrik's validate endpoint reports them. */
  async validate(
    projectId: string,
  ): Promise<{ valid: boolean; errors: string[]; warnings: string[] }> {
    try {
      const s = await this.#scans.projectSettings(projectId);
      resolveRules([...shippedPacks(), ...s.packs], s.config.packs, s.config.overrides);
      return { valid: true, errors: [], warnings: [] };
    } catch (e) {
      return { valid: false, errors: [e instanceof Error ? e.message : String(e)], warnings: [] };
    }
  }

  async rules(projectId: string): Promise<ActiveRule[]> {
    const s = await this.#scans.projectSettings(projectId);
    const local: PackDef[] = s.config.rules.length
      ? [{ id: 'local', name: 'Local rules', rules: s.config.rules }]
      : [];
    return resolveRules(
      [...shippedPacks(), ...s.packs, ...local],
      [...s.config.packs, ...local.map((p) => p.id)],
      s.config.overrides,
    );
  }

  async packs(projectId: string): Promise<PackInfo[]> {
    const s = await this.#scans.projectSettings(projectId);
    const info = (p: PackDef, builtin: boolean): PackInfo => ({
      id: p.id,
      name: p.name,
      description: p.description ?? null,
      rules: p.rules.length,
      builtin,
      enabled: s.config.packs.includes(p.id),
      overrides: s.config.overrides[p.id] ?? {},
    });
    return [...shippedPacks().map((p) => info(p, true)), ...s.packs.map((p) => info(p, false))];
  }

  async pack(projectId: string, id: string): Promise<PackDef> {
    const s = await this.#scans.projectSettings(projectId);
    const p = [...shippedPacks(), ...s.packs].find((x) => x.id === id);
    if (!p) throw notFound('pack');
    return p;
  }

  async exportPack(projectId: string, id: string): Promise<string> {
    return packToYaml(await this.pack(projectId, id));
  }

  /** Create (or replace) a custom pack from data or YAML text; it is enabled at once. */
  async savePack(
    projectId: string,
    who: Principal,
    input: { yaml?: string; pack?: unknown },
    action = 'pack.created',
  ): Promise<PackDef> {
    const pack = input.yaml !== undefined ? parsePackYaml(input.yaml) : checkPack(input.pack);
    if (isShippedPack(pack.id) || pack.id === 'local') {
      throw new AppError(
        'conflict',
        `pack id ${pack.id} is taken by a shipped pack; choose another`,
      );
    }
    const others = (await this.#scans.projectSettings(projectId)).packs.filter(
      (p) => p.id !== pack.id,
    );
    // A rule id already defined by another pack would be ambiguous in findings and overrides.
    const taken = new Map(
      [...shippedPacks(), ...others].flatMap((p) => p.rules.map((r) => [r.id, p.id] as const)),
    );
    const clash = pack.rules.find((r) => taken.has(r.id));
    if (clash)
      throw new AppError(
        'conflict',
        `rule id ${clash.id} is already defined by pack ${taken.get(clash.id)}`,
      );
    await this.#store.scanSettings.savePack(projectId, {
      id: pack.id,
      name: pack.name,
      document: packToYaml(pack),
      createdBy: actorOf(who),
    });
    const { stored, governance } = await this.#scans.projectSettings(projectId);
    const packs = stored.packs ?? (await this.config(projectId)).effective.packs;
    if (!packs.includes(pack.id)) {
      await this.#store.scanSettings.put(projectId, {
        config: { ...stored, packs: [...packs, pack.id] },
        governance,
        updatedBy: actorOf(who),
      });
    }
    await this.#audit(projectId, who, action, { pack: pack.id, rules: pack.rules.length });
    return pack;
  }

  async deletePack(projectId: string, who: Principal, id: string): Promise<void> {
    if (isShippedPack(id))
      throw new AppError(
        'conflict',
        `pack ${id} ships with Greenlight; disable it in the config instead`,
      );
    if (!(await this.#store.scanSettings.deletePack(projectId, id))) throw notFound('pack');
    const { stored, governance } = await this.#scans
      .projectSettings(projectId)
      .catch(() => ({ stored: {} as ScanConfig, governance: governanceOf({}) }));
    if (stored.packs?.includes(id)) {
      await this.#store.scanSettings.put(projectId, {
        config: { ...stored, packs: stored.packs.filter((p) => p !== id) },
        governance,
        updatedBy: actorOf(who),
      });
    }
    await this.#audit(projectId, who, 'pack.deleted', { pack: id });
  }

  /** Replace one pack's rule overrides (disable, change severity) for this project. */
  async setOverrides(
    projectId: string,
    who: Principal,
    packId: string,
    raw: unknown,
  ): Promise<void> {
    const pack = await this.pack(projectId, packId);
    const parsed = packOverridesSchema.safeParse({ [packId]: raw });
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AppError(
        'validation_failed',
        `overrides: ${i?.path.slice(1).join('.')}: ${i?.message}`,
        parsed.error.issues,
      );
    }
    const overrides = parsed.data[packId] ?? {};
    const unknown = Object.keys(overrides).filter((r) => !pack.rules.some((x) => x.id === r));
    if (unknown.length)
      throw new AppError('validation_failed', `pack ${packId} has no rule ${unknown.join(', ')}`);
    const { stored, governance } = await this.#scans.projectSettings(projectId);
    const all: PackOverrides = { ...stored.overrides, [packId]: overrides };
    await this.#store.scanSettings.put(projectId, {
      config: { ...stored, overrides: all },
      governance,
      updatedBy: actorOf(who),
    });
    await this.#audit(projectId, who, 'pack.overrides', { pack: packId, overrides });
  }

  async suppressions(
    projectId: string,
    at = new Date(),
  ): Promise<(StoredSuppression & { active: boolean })[]> {
    const list = await this.#store.scanSettings.suppressions(projectId);
    return list.map((s) => ({
      ...s,
      active:
        s.expires === undefined ||
        Date.parse(s.expires.length === 10 ? `${s.expires}T23:59:59.999Z` : s.expires) >=
          at.getTime(),
    }));
  }

  /** Record a suppression; the approver is the caller (a user), named in the log. */
  async addSuppression(
    projectId: string,
    who: Principal,
    raw: unknown,
  ): Promise<StoredSuppression> {
    if (who.kind !== 'user')
      throw new AppError('forbidden', 'a suppression needs a person to approve it, not a token');
    const parsed = suppressionSchema.safeParse({ ...(raw as object), approver: who.email });
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AppError(
        'validation_failed',
        `suppression: ${i?.path.join('.')}: ${i?.message}`,
        parsed.error.issues,
      );
    }
    const s = await this.#store.scanSettings.addSuppression(projectId, parsed.data);
    await this.#audit(projectId, who, 'suppression.created', { ...s });
    return s;
  }

  async deleteSuppression(projectId: string, who: Principal, id: string): Promise<void> {
    if (!(await this.#store.scanSettings.deleteSuppression(projectId, id)))
      throw notFound('suppression');
    await this.#audit(projectId, who, 'suppression.deleted', { id });
  }

  /** Approve or reject an exception; approving needs the governance role and sets its expiry. */
  async decide(
    projectId: string,
    who: Principal,
    id: string,
    d: { decision: 'approved' | 'rejected'; comment?: string },
  ): Promise<ScanApproval> {
    const { governance } = await this.#scans.projectSettings(projectId);
    if (who.kind !== 'user' || !roleAtLeast(who.role, governance.approverRole)) {
      throw new AppError(
        'forbidden',
        `deciding an approval needs the ${governance.approverRole} role`,
      );
    }
    const a = await this.#store.scanApprovals.get(projectId, id);
    if (!a) throw notFound('approval');
    if (a.status !== 'pending')
      throw new AppError('conflict', `approval ${id} is already ${a.status}`);
    const expiresAt =
      d.decision === 'approved'
        ? new Date(Date.now() + governance.approvalTtlHours * 3_600_000).toISOString()
        : null;
    if (
      !(await this.#store.scanApprovals.decide(projectId, id, {
        status: d.decision,
        by: actorOf(who),
        comment: d.comment ?? null,
        expiresAt,
      }))
    ) {
      throw new AppError('conflict', `approval ${id} was decided meanwhile`);
    }
    await this.#audit(projectId, who, `approval.${d.decision}`, {
      approvalId: id,
      fingerprints: a.fingerprints.length,
      expiresAt,
      comment: d.comment ?? null,
    });
    return (await this.#store.scanApprovals.get(projectId, id)) as ScanApproval;
  }
}

/** An approval as clients see it; `expired` once an approved one ran out. */
export function approvalView(a: ScanApproval, at = new Date()) {
  const expired =
    a.status === 'approved' && a.expiresAt !== null && Date.parse(a.expiresAt) <= at.getTime();
  return { ...a, status: expired ? ('expired' as const) : a.status };
}
