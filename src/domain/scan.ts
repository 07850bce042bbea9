import { createHash } from 'node:crypto';

/** Severity of a rule and its findings, most severe first (sentrik's and most scanners' scale). */
export const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof severities)[number];

/** 4 for critical … 0 for info, so "high or above" is `rank >= severityRank.high`. */
const severityRank: Record<Severity, number> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
  info: 0,
};

export const atLeast = (s: Severity, min: Severity): boolean =>
  severityRank[s] >= severityRank[min];

/** The SARIF level a severity maps to; GitHub code scanning reads `security-severity` beside it. */
export function sarifLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'note';
}

/** The kinds of rule the scan gate runs. */
export const ruleKinds = ['regex', 'required', 'ast', 'secret', 'file-policy'] as const;
export type RuleKind = (typeof ruleKinds)[number];

/** Whether the finding was already on the base branch (baseline) or came with this change. */
export type FindingStatus = 'new' | 'existing';

/**
 * One problem the static scan gate found. Plain data so any engine (built-in rules, an external
 * scanner's output) can produce it and every report can render it without knowing the engine.
 */
export interface ScanFinding {
  /** Stable id of the rule (e.g. `GL-SEC-001`); code-scanning history is keyed on it. */
  ruleId: string;
  /** Human name of the rule; reports fall back to `ruleId`. */
  ruleName?: string;
  /** One sentence on what the rule catches, shown beside the rule in code-scanning UIs. */
  ruleDescription?: string;
  /** Where a reader learns how to fix it. */
  helpUri?: string;
  /** How to fix it, in a sentence or two. */
  help?: string;
  severity: Severity;
  /** What is wrong here, in one or two sentences. */
  message: string;
  /** Repository-relative POSIX path, so the report resolves against any checkout (`%SRCROOT%`). */
  file: string;
  /** 1-based, as editors and SARIF count; absent for whole-file findings. */
  startLine?: number;
  /** 1-based. */
  startColumn?: number;
  /** 1-based, inclusive. */
  endLine?: number;
  /** 1-based, the column after the last character (SARIF's convention). */
  endColumn?: number;
  /** The offending source text (secrets masked); also identifies the finding when lines shift. */
  snippet?: string;
  /** A few lines around the finding (secrets masked), for reviewers and the dashboard. */
  excerpt?: { startLine: number; lines: string[] };
  /** The engine's own identity for the finding; when absent, reports derive one. */
  fingerprint?: string;
  /** Kept in the report (not dropped) so reviewers see what was waived and why. */
  suppressed?: { kind: 'inSource' | 'external'; justification?: string };
  kind?: RuleKind;
  cwe?: string[];
  standard?: string;
  clause?: string;
  tags?: string[];
  /** `new` unless a baseline showed it on the base branch. */
  status?: FindingStatus;
  /** An approved exception to a failed gate covers it (until the approval expires). */
  approved?: { approvalId: string; expiresAt: string };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Whitespace-insensitive so re-indenting or reformatting the line keeps the same identity. */
const normaliseSnippet = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * The finding's identity across runs: the engine's own when given; else rule + file + snippet
 * (so an unchanged line that moves keeps its alert), or rule + file + line without a snippet.
 */
export function findingFingerprint(f: ScanFinding): string {
  if (f.fingerprint) return f.fingerprint;
  const snippet = f.snippet ? normaliseSnippet(f.snippet) : '';
  const where = snippet ? `snippet:${snippet}` : `line:${f.startLine ?? ''}`;
  return sha256(`${f.ruleId}\u0000${f.file}\u0000${where}`);
}

/**
 * The scan gate's fingerprint: rule, file, the matched text (whitespace-normalised) and which
 * occurrence of that same text in the file it is. Line numbers are left out, so a finding keeps
 * its identity when code above it moves; two identical offending lines stay two findings.
 */
export function scanFingerprint(
  ruleId: string,
  file: string,
  matched: string,
  occurrence: number,
): string {
  return sha256(
    `gl-scan/v1\u0000${ruleId}\u0000${file}\u0000${normaliseSnippet(matched)}\u0000${occurrence}`,
  );
}

/** Counts of findings per severity, every severity present. */
export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly ScanFinding[]): SeverityCounts {
  const counts: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** A finding that counts toward the gate: neither suppressed nor covered by an approval. */
export const isActive = (f: ScanFinding): boolean => !f.suppressed && !f.approved;

/** What a gate condition measures over the scan's active findings. */
export const gateMetrics = ['findings', 'new_findings', 'secrets', 'new_secrets'] as const;
export type GateMetric = (typeof gateMetrics)[number];
export const gateComparators = ['>', '>=', '<', '<=', '==', '!='] as const;
export type GateComparator = (typeof gateComparators)[number];

/**
 * One rule of the gate: it FAILS when `metric comparator threshold` holds. `severity` counts only
 * findings at or above it. E.g. "new findings of severity high or above > 0".
 */
export interface GateCondition {
  metric: GateMetric;
  severity?: Severity;
  comparator: GateComparator;
  threshold: number;
}

export interface GatePolicy {
  conditions: GateCondition[];
}

/** The default gate: any new finding of high or above, or any secret at all, fails. */
export const defaultGatePolicy: GatePolicy = {
  conditions: [
    { metric: 'new_findings', severity: 'high', comparator: '>', threshold: 0 },
    { metric: 'secrets', comparator: '>', threshold: 0 },
  ],
};

export interface GateConditionResult extends GateCondition {
  actual: number;
  /** True when this condition did not fire. */
  passed: boolean;
}

export interface GateResult {
  passed: boolean;
  conditions: GateConditionResult[];
  /** One line on why the gate failed; null when it passed. */
  reason: string | null;
}

/** How the scan part of a run ended, as the run's verdict needs it. */
export interface ScanOutcome {
  status: 'passed' | 'failed' | 'error';
  /** Why: the gate's reason, or what made the scan an error. */
  reason: string | null;
}
