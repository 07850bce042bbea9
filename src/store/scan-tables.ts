/** The scan gate's tables; `Database` extends this. Portable types as in database.ts. */

/** One scan: what was asked, how it ended, its summary and gate as JSON. */
export interface ScansTable {
  id: string;
  project_id: string;
  /** The run the scan belongs to (a trigger with a scan); null for a standalone scan. */
  run_id: string | null;
  status: string;
  /** `api`, `sentrik`, `trigger`, `cli`. */
  source: string;
  branch: string | null;
  commit_sha: string | null;
  base: string | null;
  /** JSON: what was scanned (repo path, file count, changed files), never file contents. */
  request: string;
  /** JSON ScanSummary; null until finished. */
  summary: string | null;
  /** JSON GateResult; null until finished. */
  gate: string | null;
  /** JSON string[]. */
  warnings: string;
  error: string | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The process (process_leases.id) running the scan; null before migration 055. */
  owner: string | null;
}

/** One finding of a scan; written once when the scan ends. */
export interface ScanFindingsTable {
  id: string;
  scan_id: string;
  project_id: string;
  fingerprint: string;
  rule_id: string;
  severity: string;
  /** `new` / `existing`. */
  status: string;
  file: string;
  start_line: number | null;
  /** 1 when suppressed (inline, file or project). */
  suppressed: number;
  /** JSON ScanFinding. */
  data: string;
}

/** A project's scan config and governance settings (JSON). */
export interface ScanConfigsTable {
  project_id: string;
  config: string;
  governance: string;
  updated_at: string;
  updated_by: string | null;
}

/** A project's custom pack, kept as the YAML it was imported or created from. */
export interface ScanPacksTable {
  project_id: string;
  id: string;
  name: string;
  document: string;
  created_at: string;
  created_by: string | null;
}

/** A suppression recorded through the API, with its reason, approver and expiry. */
export interface ScanSuppressionsTable {
  id: string;
  project_id: string;
  rule_id: string;
  path: string | null;
  fingerprint: string | null;
  reason: string;
  approver: string;
  expires_at: string | null;
  created_at: string;
}

/** The append-only, hash-chained audit log of scan-gate decisions, per project. */
export interface ScanAuditTable {
  project_id: string;
  seq: number;
  at: string;
  actor: string;
  action: string;
  /** JSON object. */
  detail: string;
  prev_hash: string;
  hash: string;
}

/** An exception to a failed gate, bound to the findings' fingerprints, expiring once approved. */
export interface ScanApprovalsTable {
  id: string;
  project_id: string;
  scan_id: string;
  run_id: string | null;
  status: string;
  /** JSON string[]. */
  fingerprints: string;
  reason: string;
  requested_by: string | null;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
  expires_at: string | null;
}

export interface ScanTables {
  scans: ScansTable;
  scan_findings: ScanFindingsTable;
  scan_configs: ScanConfigsTable;
  scan_packs: ScanPacksTable;
  scan_suppressions: ScanSuppressionsTable;
  scan_audit: ScanAuditTable;
  scan_approvals: ScanApprovalsTable;
}
