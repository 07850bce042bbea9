import {
  atLeast,
  isActive,
  type GateComparator,
  type GateCondition,
  type GatePolicy,
  type GateResult,
  type ScanFinding,
  type Severity,
} from '../domain/scan.ts';

const holds: Record<GateComparator, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

function measure(c: GateCondition, findings: readonly ScanFinding[]): number {
  const min: Severity = c.severity ?? 'info';
  return findings.filter((f) => {
    if (!isActive(f) || !atLeast(f.severity, min)) return false;
    const isNew = f.status !== 'existing';
    const isSecret = f.kind === 'secret';
    switch (c.metric) {
      case 'findings':
        return true;
      case 'new_findings':
        return isNew;
      case 'secrets':
        return isSecret;
      case 'new_secrets':
        return isSecret && isNew;
    }
  }).length;
}

const label = (c: GateCondition): string =>
  `${c.metric.replace('_', ' ')}${c.severity && c.severity !== 'info' ? ` of severity ${c.severity} or above` : ''} ${c.comparator} ${c.threshold}`;

/**
 * Judge the findings against the policy: each condition describes what FAILS the gate ("new
 * findings of severity high or above > 0"), and every condition is answered with its actual
 * value. Suppressed findings and findings covered by an approval never count.
 */
export function evaluateGate(findings: readonly ScanFinding[], policy: GatePolicy): GateResult {
  const conditions = policy.conditions.map((c) => {
    const actual = measure(c, findings);
    return { ...c, actual, passed: !holds[c.comparator](actual, c.threshold) };
  });
  const failed = conditions.filter((c) => !c.passed);
  return {
    passed: failed.length === 0,
    conditions,
    reason:
      failed.length === 0
        ? null
        : `scan gate failed: ${failed.map((c) => `${label(c)} (actual ${c.actual})`).join('; ')}`,
  };
}

/** sentrik's `gate_fail_on: [critical, high]`: any finding of those severities fails. */
export function gateFromFailOn(failOn: readonly Severity[]): GatePolicy {
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  const min = order.find((s) => failOn.includes(s)) ?? 'high';
  return { conditions: [{ metric: 'findings', severity: min, comparator: '>', threshold: 0 }] };
}
