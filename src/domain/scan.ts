/** Severity of a finding; the SARIF levels, so reports pass it through unchanged. */
export type ScanSeverity = 'error' | 'warning' | 'note';

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
  severity: ScanSeverity;
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
  /** The offending source text; also identifies the finding when lines shift. */
  snippet?: string;
  /** The engine's own identity for the finding; when absent, reports derive one. */
  fingerprint?: string;
  /** Kept in the report (not dropped) so reviewers see what was waived and why. */
  suppressed?: { kind: 'inSource' | 'external'; justification?: string };
}
