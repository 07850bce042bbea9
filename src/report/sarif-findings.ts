import { findingFingerprint, sarifLevel, type ScanFinding } from '../domain/scan.ts';
import type { SarifLocation, SarifResult, SarifRule } from './sarif.ts';
import { defined } from '../domain/defined.ts';

/** The base id finding paths are relative to; consumers map it to their checkout. */
export const SRCROOT = '%SRCROOT%';

/** `run.originalUriBaseIds`: the root is unknown to us, so only described (SARIF §3.14.14). */
export const originalUriBaseIds = {
  [SRCROOT]: { description: { text: 'The root of the scanned repository.' } },
};

const FINGERPRINT_KEY = 'greenlightFinding/v1';

/** GitHub code scanning ranks security alerts by this number (0–10) beside the level. */
const securitySeverity = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/**
 * One rule per distinct finding rule id not already in `existing`, in order of first appearance;
 * each descriptive field is the first one any finding of that rule carries.
 */
export function findingRules(
  findings: readonly ScanFinding[],
  existing: readonly SarifRule[],
): SarifRule[] {
  const taken = new Set(existing.map((r) => r.id));
  const byId = new Map<string, ScanFinding[]>();
  for (const f of findings) {
    if (taken.has(f.ruleId)) continue;
    const list = byId.get(f.ruleId);
    if (list) list.push(f);
    else byId.set(f.ruleId, [f]);
  }
  return [...byId].map(([id, list]) => {
    const name = list.find((f) => f.ruleName)?.ruleName;
    const description = list.find((f) => f.ruleDescription)?.ruleDescription;
    const helpUri = list.find((f) => f.helpUri)?.helpUri;
    return {
      id,
      ...(name ? { name } : {}),
      // Code-scanning UIs list rules by this text, so fall back rather than leave it blank.
      shortDescription: { text: description ?? name ?? id },
      ...(helpUri ? { helpUri } : {}),
    };
  });
}

function findingLocation(f: ScanFinding): SarifLocation {
  // SARIF regions start at a line; without one the finding is about the whole file.
  const region =
    f.startLine !== undefined
      ? {
          startLine: f.startLine,
          ...defined({ startColumn: f.startColumn, endLine: f.endLine, endColumn: f.endColumn }),
          ...(f.snippet !== undefined ? { snippet: { text: f.snippet } } : {}),
        }
      : undefined;
  return {
    physicalLocation: {
      artifactLocation: { uri: encodeURI(f.file), uriBaseId: SRCROOT },
      ...(region ? { region } : {}),
    },
  };
}

/** One SARIF result for a scan finding; `ruleIndex` points into the run's combined rules. */
export function findingResult(f: ScanFinding, ruleIndex: number): SarifResult {
  const snippetWithoutRegion = f.startLine === undefined && f.snippet !== undefined;
  return {
    ruleId: f.ruleId,
    ruleIndex,
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [findingLocation(f)],
    partialFingerprints: { [FINGERPRINT_KEY]: findingFingerprint(f) },
    // A suppressed finding stays in the log so reviewers see what was waived and why.
    ...(f.suppressed
      ? {
          suppressions: [
            {
              kind: f.suppressed.kind,
              ...(f.suppressed.justification !== undefined
                ? { justification: f.suppressed.justification }
                : {}),
            },
          ],
        }
      : {}),
    properties: {
      severity: f.severity,
      'security-severity': securitySeverity[f.severity],
      ...(f.status ? { status: f.status } : {}),
      ...(f.cwe?.length ? { cwe: f.cwe } : {}),
      ...(f.tags?.length ? { tags: f.tags } : {}),
      // A region needs a start line; the snippet is still worth showing without one.
      ...(snippetWithoutRegion ? { snippet: f.snippet } : {}),
    },
  };
}
