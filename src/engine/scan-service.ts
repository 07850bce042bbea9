import { EventEmitter } from 'node:events';
import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import type { Project } from '../domain/project.ts';
import type { ScanOutcome } from '../domain/scan.ts';
import { parsePackYaml } from '../scan/pack-yaml.ts';
import type { PackDef } from '../scan/rule-schema.ts';
import {
  defaultScanConfig,
  mergeScanConfig,
  parseScanConfig,
  type ResolvedScanConfig,
  type ScanConfig,
} from '../scan/scan-config.ts';
import type { ScanProgress, ScanReport } from '../scan/scanner.ts';
import type { Store } from '../store/connect.ts';
import type { ScanRecord } from '../store/scans.ts';
import { runScanOutcome } from './run-scan-outcome.ts';
import { governanceOf, type Governance } from './scan-governance.ts';

/** What to scan, in Greenlight's terms; every API shape (sentrik's, the trigger's) maps to it. */
export interface ScanInputSpec {
  /** A directory on this server, under one of GREENLIGHT_SCAN_ROOTS. */
  repoPath?: string;
  files?: Record<string, string>;
  /** A `.tar.gz`/`.zip` of files (the changed files of a pipeline). */
  archive?: Buffer;
  changedFiles?: string[];
  configOverrides?: ScanConfig;
  /** Base branch: git ref for a repo path, else the branch whose last stored scan is the baseline. */
  base?: string;
  branch?: string;
  commitSha?: string;
}

export interface ScanServiceDeps {
  store: Store;
  config: Config;
  logger?: Logger;
  /** Called when a run's scan ends so the run can take its verdict (Engine.finishRunIfIdle). */
  onRunScanDone?: (runId: string) => Promise<void>;
  clock?: () => Date;
  /**
   * This process's lease id (ProcessLeaseKeeper): recorded on each scan, so that another server
   * starting fails it only once this process is gone. None: the scan counts as abandoned.
   */
  owner?: string;
}

/** Who did it, for the audit log: never a secret. */
export const actorOf = (p: Principal | null): string =>
  !p ? 'system' : p.kind === 'trigger' ? `token:${p.tokenId}` : `user:${p.userId}`;

/**
 * Runs scans for projects: resolves the config layers (defaults, the project's stored config,
 * the repository's file, the request's overrides), the project's packs, suppressions, approvals
 * and baseline; records the scan, its findings and an audit entry; asks for an approval when the
 * gate fails; publishes progress for SSE watchers.
 */
export class ScanService {
  readonly #d: ScanServiceDeps & { logger: Logger; clock: () => Date };
  readonly #progress = new EventEmitter();
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(deps: ScanServiceDeps) {
    this.#d = {
      ...deps,
      logger: deps.logger ?? pino({ level: 'silent' }),
      clock: deps.clock ?? (() => new Date()),
    };
    this.#progress.setMaxListeners(0);
  }

  /** The project's stored config over the defaults, its governance, and its custom packs. */
  async projectSettings(projectId: string): Promise<{
    config: ResolvedScanConfig;
    stored: ScanConfig;
    governance: Governance;
    packs: PackDef[];
  }> {
    const { store } = this.#d;
    const [row, packs] = await Promise.all([
      store.scanSettings.get(projectId),
      store.scanSettings.packs(projectId),
    ]);
    const stored = row ? parseScanConfig(row.config, 'stored scan config') : {};
    return {
      config: mergeScanConfig(defaultScanConfig, stored),
      stored,
      governance: governanceOf(row?.governance),
      packs: packs.map((p) => parsePackYaml(p.document, p.id)),
    };
  }

  /** Scan now and wait for the result (sentrik's `/scan` and `/gate`, `?wait` scans). */
  async scan(
    project: Project,
    spec: ScanInputSpec,
    who: Principal | null,
    source: string,
  ): Promise<{ record: ScanRecord; report: ScanReport }> {
    const record = await this.#create(project, spec, who, source, null);
    const report = await this.#execute(project, record, spec, who);
    const after = (await this.#d.store.scans.get(project.id, record.id)) ?? record;
    return { record: after, report };
  }

  /** Start a scan in the background; watch it with `watch` or read it back by id. */
  async start(
    project: Project,
    spec: ScanInputSpec,
    who: Principal | null,
    source: string,
  ): Promise<ScanRecord> {
    await this.#checkSpec(spec);
    const record = await this.#create(project, spec, who, source, null);
    this.#background(project, record, spec, who);
    return record;
  }

  /** A trigger's scan: recorded in the run's transaction, started after it commits. */
  async prepareForRun(
    tx: Store,
    project: Project,
    runId: string,
    spec: ScanInputSpec,
    who: Principal,
  ): Promise<ScanRecord> {
    return tx.scans.create({ ...this.#row(project, spec, who, 'trigger'), runId });
  }

  startForRun(project: Project, record: ScanRecord, spec: ScanInputSpec, who: Principal): void {
    this.#background(project, record, spec, who);
  }

  /** How the run's scan ended; `pending` while it runs; null when the run has no scan. */
  async outcomeForRun(runId: string): Promise<ScanOutcome | 'pending' | null> {
    return runScanOutcome(this.#d.store, runId);
  }

  /** Progress of a running scan; returns the unsubscribe function. */
  watch(
    scanId: string,
    fn: (
      e: { type: 'progress'; progress: ScanProgress } | { type: 'done'; scan: ScanRecord },
    ) => void,
  ): () => void {
    this.#progress.on(scanId, fn);
    return () => this.#progress.off(scanId, fn);
  }

  /**
   * Scans whose process is gone are errors; their runs then take their verdicts. Returns how
   * many were failed.
   */
  async recover(): Promise<number> {
    const failed = await this.#d.store.scans.failAbandoned('the server stopped during the scan');
    for (const s of failed) if (s.runId) await this.#d.onRunScanDone?.(s.runId).catch(() => {});
    return failed.length;
  }

  /** Wait for background scans (server shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
  }

  #row(project: Project, spec: ScanInputSpec, who: Principal | null, source: string) {
    return {
      projectId: project.id,
      source,
      branch: spec.branch ?? null,
      commitSha: spec.commitSha ?? null,
      base: spec.base ?? null,
      request: {
        ...(spec.repoPath ? { repoPath: spec.repoPath } : {}),
        ...(spec.files ? { files: Object.keys(spec.files).length } : {}),
        ...(spec.archive ? { archiveBytes: spec.archive.length } : {}),
        ...(spec.changedFiles ? { changedFiles: spec.changedFiles.length } : {}),
      },
      createdBy: actorOf(who),
      owner: this.#d.owner ?? null,
    };
  }

  async #create(
    project: Project,
    spec: ScanInputSpec,
    who: Principal | null,
    source: string,
    runId: string | null,
  ): Promise<ScanRecord> {
    return this.#d.store.scans.create({ ...this.#row(project, spec, who, source), runId });
  }

  #background(
    project: Project,
    record: ScanRecord,
    spec: ScanInputSpec,
    who: Principal | null,
  ): void {
    const p = this.#execute(project, record, spec, who).catch((e: unknown) =>
      this.#d.logger.error({ err: e, scanId: record.id }, 'scan failed'),
    );
    this.#running.set(record.id, p);
    void p.finally(() => this.#running.delete(record.id));
  }

  /** Refuse what cannot be scanned before anything is recorded. */
  async #checkSpec(spec: ScanInputSpec): Promise<void> {
    const given = [spec.repoPath, spec.files, spec.archive].filter((x) => x !== undefined).length;
    if (given !== 1)
      throw new AppError(
        'validation_failed',
        'give exactly one of repo_path, files or an archive to scan',
      );
    if (spec.repoPath !== undefined) await this.#allowedRoot(spec.repoPath);
    if (spec.configOverrides) parseScanConfig(spec.configOverrides, 'config_overrides');
  }

  /** A repository path must resolve (links followed) inside a configured scan root. */
  async #allowedRoot(path: string): Promise<string> {
    const roots = this.#d.config.scanRoots;
    if (roots.length === 0) {
      throw new AppError(
        'validation_failed',
        'scanning a path on the server is off: set GREENLIGHT_SCAN_ROOTS, or send files or an archive',
      );
    }
    const real = await realpath(path).catch(() => null);
    if (!real)
      throw new AppError('validation_failed', `repo_path ${path} does not exist on the server`);
    for (const root of roots) {
      const r = await realpath(root).catch(() => root);
      if (real === r || real.startsWith(r + sep)) return real;
    }
    throw new AppError('forbidden', `repo_path ${path} is outside GREENLIGHT_SCAN_ROOTS`);
  }

  async #execute(
    project: Project,
    record: ScanRecord,
    spec: ScanInputSpec,
    who: Principal | null,
  ): Promise<ScanReport> {
    const { store } = this.#d;
    const log = this.#d.logger.child({
      scanId: record.id,
      projectId: project.id,
      ...(record.runId ? { runId: record.runId } : {}),
    });
    let report: ScanReport;
    try {
      log.debug({ source: record.source }, 'scan started');
      await this.#checkSpec(spec);
      await store.scans.markRunning(record.id);
      const settings = await this.#d.store.scanSettings.suppressions(project.id);
      const { config, packs, governance } = await this.projectSettings(project.id);
      const root = spec.repoPath !== undefined ? await this.#allowedRoot(spec.repoPath) : undefined;
      // The scanner and its libraries (file walking, ignore rules, archives) load on the first
      // scan, not with every server.
      const [{ runScan }, { readArchive }] = await Promise.all([
        import('../scan/scanner.ts'),
        import('../scan/archive.ts'),
      ]);
      const files = spec.archive ? await readArchive(spec.archive) : spec.files;
      const now = this.#d.clock();
      const storedBase =
        spec.base && !root ? await store.scans.latestOnBranch(project.id, spec.base) : undefined;
      report = await runScan({
        ...(root ? { root } : { files: files as Record<string, string> }),
        changedFiles: spec.changedFiles,
        config,
        overrides: spec.configOverrides,
        customPacks: packs,
        ...(root && spec.base ? { base: spec.base } : {}),
        ...(storedBase ? { baseline: await store.scans.fingerprints(storedBase.id) } : {}),
        ...(spec.base && !root && !storedBase ? { baseline: new Set<string>() } : {}),
        suppressions: settings.map(({ id: _id, createdAt: _c, ...s }) => s),
        approvals: await store.scanApprovals.active(project.id, now.toISOString()),
        now,
        onProgress: (progress) => this.#progress.emit(record.id, { type: 'progress', progress }),
      });
      if (spec.base && !root && !storedBase)
        report.warnings.push(`no stored scan of branch ${spec.base}: every finding counts as new`);
      await store.scans.finish(record.id, {
        status: report.status,
        summary: report.summary,
        gate: report.gate,
        warnings: report.warnings,
        error: report.error,
        findings: report.findings,
      });
      if (report.status === 'failed' && governance.requestApprovals)
        await this.#requestApproval(project, record, report, who);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.warn({ err: message }, 'scan could not run');
      await store.scans.finish(record.id, {
        status: 'error',
        summary: null,
        gate: null,
        warnings: [],
        error: message,
        findings: [],
      });
      await this.#audit(project, who, record, 'error', message);
      await this.#done(record);
      throw e;
    }
    log.info({ status: report.status, findings: report.findings.length }, 'scan finished');
    await this.#audit(project, who, record, report.status, report.gate.reason);
    await this.#done(record);
    return report;
  }

  async #done(record: ScanRecord): Promise<void> {
    const after = await this.#d.store.scans.get(record.projectId, record.id);
    if (after) this.#progress.emit(record.id, { type: 'done', scan: after });
    if (record.runId) await this.#d.onRunScanDone?.(record.runId);
  }

  async #audit(
    project: Project,
    who: Principal | null,
    record: ScanRecord,
    status: string,
    reason: string | null,
  ): Promise<void> {
    await this.#d.store.scanAudit.append(project.id, {
      actor: actorOf(who),
      action: 'scan.finished',
      detail: { scanId: record.id, runId: record.runId, status, reason },
    });
  }

  /** A failed gate asks for an exception, bound to the blocking findings' fingerprints. */
  async #requestApproval(
    project: Project,
    record: ScanRecord,
    report: ScanReport,
    who: Principal | null,
  ): Promise<void> {
    const blocking = report.findings
      .filter((f) => !f.suppressed && !f.approved)
      .map((f) => f.fingerprint as string);
    const a = await this.#d.store.scanApprovals.create({
      projectId: project.id,
      scanId: record.id,
      runId: record.runId,
      fingerprints: blocking,
      reason: report.gate.reason ?? 'scan gate failed',
      requestedBy: actorOf(who),
    });
    await this.#d.store.scanAudit.append(project.id, {
      actor: actorOf(who),
      action: 'approval.requested',
      detail: { approvalId: a.id, scanId: record.id, findings: blocking.length },
    });
  }
}
