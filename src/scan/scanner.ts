import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  countBySeverity,
  isActive,
  type GateResult,
  type ScanFinding,
  type SeverityCounts,
} from '../domain/scan.ts';
import { AppError } from '../domain/errors.ts';
import { collectFiles, inlineFiles, type FileTask, type SkippedFile } from './files.ts';
import { evaluateGate } from './gate.ts';
import { filesAtBase, resolveBase } from './git-base.ts';
import { scanOnWorkers } from './pool.ts';
import type { PackDef } from './rule-schema.ts';
import { resolveRules, type ActiveRule } from './ruleset.ts';
import {
  configFiles,
  mergeScanConfig,
  parseConfigFile,
  parseScanConfig,
  suppressionFile,
  type ResolvedScanConfig,
  type ScanConfig,
  type Suppression,
} from './scan-config.ts';
import { shippedPacks } from './shipped-packs.ts';
import { suppressionSet } from './suppressions.ts';

export interface ScanInput {
  /** A directory to scan (a checkout on this machine). */
  root?: string;
  /** Inline files `{path: content}`; used instead of `root`. */
  files?: Record<string, string>;
  /** Only these paths. */
  changedFiles?: string[];
  /** The config before the repository's own file (defaults + the project's stored config). */
  config: ResolvedScanConfig;
  /** Applied last (the request's `config_overrides`). */
  overrides?: ScanConfig;
  /** Packs besides the shipped ones (a project's custom packs). */
  customPacks?: PackDef[];
  /** Git ref of the base branch: findings also present there are `existing` (needs `root`). */
  base?: string;
  /** Fingerprints known from the base branch some other way (a stored scan of it). */
  baseline?: ReadonlySet<string>;
  /** Suppressions recorded outside the repository (the project's). */
  suppressions?: Suppression[];
  /** Approved exceptions: fingerprint → approval. */
  approvals?: ReadonlyMap<string, { approvalId: string; expiresAt: string }>;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  now?: Date;
}

export interface ScanProgress {
  phase: 'collect' | 'scan' | 'baseline';
  done: number;
  total: number;
  path?: string;
  findings: number;
}

export interface ScanSummary {
  files: number;
  lines: number;
  bytes: number;
  rules: number;
  skipped: SkippedFile[];
  bySeverity: SeverityCounts;
  newFindings: number;
  existingFindings: number;
  suppressed: number;
  approved: number;
  durationMs: number;
  baseCommit?: string;
}

export interface ScanReport {
  status: 'passed' | 'failed' | 'error';
  /** Why the scan is an error (it never passes then). */
  error: string | null;
  findings: ScanFinding[];
  gate: GateResult;
  summary: ScanSummary;
  errors: { file: string; message: string; ruleId?: string }[];
  warnings: string[];
  rules: ActiveRule[];
}

/** The repository's own config (`.greenlight/scan.yaml`, else sentrik's `.guard.yaml`) and suppressions file. */
async function repoConfig(
  input: ScanInput,
  known: string[],
  warnings: string[],
): Promise<{ config?: ScanConfig; suppressions: Suppression[] }> {
  const read = async (name: string): Promise<string | undefined> =>
    input.files
      ? input.files[name]
      : input.root
        ? readFile(join(input.root, name), 'utf8').catch(() => undefined)
        : undefined;
  let config: ScanConfig | undefined;
  for (const name of configFiles) {
    const text = await read(name);
    if (text !== undefined) {
      config = parseConfigFile(text, name, warnings, known);
      break;
    }
  }
  const supText = await read(suppressionFile);
  const suppressions =
    supText === undefined
      ? []
      : (parseConfigFile(supText, suppressionFile, warnings).suppressions ?? []);
  return { config, suppressions };
}

/** Keep the first of findings with the same fingerprint (two packs, overlapping matches). */
function dedupe(findings: ScanFinding[]): ScanFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = f.fingerprint as string;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const order = (a: ScanFinding, b: ScanFinding): number =>
  a.file < b.file
    ? -1
    : a.file > b.file
      ? 1
      : (a.startLine ?? 0) - (b.startLine ?? 0) || (a.ruleId < b.ruleId ? -1 : 1);

/**
 * One scan: read the config layers, collect the files, run the rules on worker threads, apply
 * suppressions, mark findings present on the base branch as `existing`, apply approvals and judge
 * the gate. A crashed rule, a file over its time budget or an unreadable file make the scan an
 * `error`: it never passes with files unchecked.
 */
export async function runScan(input: ScanInput): Promise<ScanReport> {
  const started = Date.now();
  const now = input.now ?? new Date();
  if (!input.root && !input.files)
    throw new AppError('validation_failed', 'give a repository path or files to scan');
  const warnings: string[] = [];
  const packs = [...shippedPacks(), ...(input.customPacks ?? [])];
  const known = packs.map((p) => p.id);
  const repo = await repoConfig(input, known, warnings);
  const overrides = input.overrides
    ? parseScanConfig(input.overrides, 'config_overrides')
    : undefined;
  const config = mergeScanConfig(input.config, repo.config, overrides);
  const local: PackDef[] = config.rules.length
    ? [{ id: 'local', name: 'Local rules', rules: config.rules }]
    : [];
  const rules = resolveRules(
    [...packs, ...local],
    [...config.packs, ...local.map((p) => p.id)],
    config.overrides,
  );

  const opts = {
    exclude: config.exclude,
    maxFileBytes: config.maxFileBytes,
    changedFiles: input.changedFiles,
  };
  const collected = input.files
    ? inlineFiles(input.files, opts)
    : await collectFiles(input.root as string, opts);
  const baseCommit =
    input.base && input.root ? await resolveBase(input.root, input.base) : undefined;
  if (input.base && !input.root && !input.baseline) {
    throw new AppError(
      'validation_failed',
      'a git base ref needs a repository path (inline files have no history)',
    );
  }
  input.onProgress?.({ phase: 'collect', done: 0, total: collected.files.length, findings: 0 });
  let found = 0;
  const pool = await scanOnWorkers(collected.files, {
    rules,
    threads: input.threads ?? config.threads,
    fileTimeoutMs: config.fileTimeoutMs,
    signal: input.signal,
    onFile: (done, total, path, n) => {
      found += n;
      input.onProgress?.({ phase: 'scan', done, total, path, findings: found });
    },
  });
  const suppress = suppressionSet(
    [...config.suppressions, ...repo.suppressions, ...(input.suppressions ?? [])],
    now,
  );
  const findings = dedupe(pool.findings).sort(order);
  suppress.apply(findings);

  let baseline = input.baseline;
  if (baseCommit && input.root)
    baseline = await baseFingerprints(
      input.root,
      baseCommit,
      findings,
      rules,
      config,
      input.signal,
    );
  for (const f of findings) {
    f.status = baseline?.has(f.fingerprint as string) ? 'existing' : 'new';
    const approval = input.approvals?.get(f.fingerprint as string);
    if (approval && Date.parse(approval.expiresAt) > now.getTime()) f.approved = approval;
  }
  const gate = evaluateGate(findings, config.gate);
  const errors = pool.errors;
  const error =
    errors.length > 0
      ? `${errors.length} file${errors.length === 1 ? '' : 's'} could not be scanned: ${errors[0]?.message}`
      : null;
  return {
    status: error ? 'error' : gate.passed ? 'passed' : 'failed',
    error,
    findings,
    gate,
    errors,
    warnings,
    rules,
    summary: {
      files: pool.files,
      lines: pool.lines,
      bytes: pool.bytes,
      rules: rules.length,
      skipped: [...collected.skipped, ...pool.skipped],
      bySeverity: countBySeverity(findings.filter(isActive)),
      newFindings: findings.filter((f) => isActive(f) && f.status === 'new').length,
      existingFindings: findings.filter((f) => isActive(f) && f.status === 'existing').length,
      suppressed: findings.filter((f) => f.suppressed).length,
      approved: findings.filter((f) => !f.suppressed && f.approved).length,
      durationMs: Date.now() - started,
      ...(baseCommit ? { baseCommit } : {}),
    },
  };
}

/** Fingerprints of the same rules run over the base commit's version of the files with findings. */
async function baseFingerprints(
  root: string,
  commit: string,
  findings: ScanFinding[],
  rules: ActiveRule[],
  config: ResolvedScanConfig,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const paths = [...new Set(findings.map((f) => f.file))];
  const old = await filesAtBase(root, commit, paths);
  const tasks: FileTask[] = Object.entries(old).map(([path, text]) => ({
    path,
    text,
    size: text.length,
  }));
  const res = await scanOnWorkers(tasks, {
    rules,
    threads: config.threads,
    fileTimeoutMs: config.fileTimeoutMs,
    signal,
  });
  return new Set(res.findings.map((f) => f.fingerprint as string));
}
