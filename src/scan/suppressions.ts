import picomatch from 'picomatch';
import type { ScanFinding } from '../domain/scan.ts';
import type { Suppression } from './scan-config.ts';
import type { SourceFile } from './source-file.ts';

/**
 * `greenlight-ignore: RULE[, RULE…] -- reason` on the finding's line or the line above waives
 * it; `*` waives every rule there. A suppression without a reason is not honoured: waiving must
 * say why. (sentrik's `sentrik-ignore:` is read the same way.)
 */
const INLINE =
  /(?:greenlight|sentrik)-ignore:\s*([A-Za-z0-9*][\w.*,\s-]*?)\s+--\s+(\S.*?)\s*(?:\*\/|-->)?\s*$/;

function inlineAt(file: SourceFile, line: number): { rules: string[]; reason: string } | null {
  if (line < 1 || line > file.lineStarts.length) return null;
  const m = INLINE.exec(file.lineText(line - 1));
  if (!m) return null;
  return { rules: (m[1] as string).split(/[\s,]+/).filter(Boolean), reason: m[2] as string };
}

/** Mark findings waived by an inline comment (kind `inSource`, with the comment's reason). */
export function applyInlineSuppressions(file: SourceFile, findings: ScanFinding[]): void {
  for (const f of findings) {
    if (f.startLine === undefined) continue;
    const s = inlineAt(file, f.startLine) ?? inlineAt(file, f.startLine - 1);
    if (s && (s.rules.includes('*') || s.rules.includes(f.ruleId))) {
      f.suppressed = { kind: 'inSource', justification: s.reason };
    }
  }
}

/** Suppressions from a file or the project, compiled once per scan. */
export interface SuppressionSet {
  apply(findings: ScanFinding[]): void;
}

const endOf = (expires: string): number =>
  // A bare date covers that whole day (UTC).
  /^\d{4}-\d{2}-\d{2}$/.test(expires)
    ? Date.parse(`${expires}T23:59:59.999Z`)
    : Date.parse(expires);

/**
 * Waive findings a recorded suppression covers (kind `external`, justification naming the reason
 * and the approver). An expired suppression covers nothing: the finding counts again and says
 * which suppression ran out.
 */
export function suppressionSet(list: readonly Suppression[], now: Date): SuppressionSet {
  const compiled = list.map((s) => ({
    s,
    path: s.path ? picomatch(s.path, { dot: true }) : () => true,
    expired: s.expires !== undefined && endOf(s.expires) < now.getTime(),
  }));
  return {
    apply(findings) {
      for (const f of findings) {
        if (f.suppressed) continue;
        const match = compiled.find(
          (c) =>
            (c.s.rule === '*' || c.s.rule === f.ruleId) &&
            c.path(f.file) &&
            (c.s.fingerprint === undefined || c.s.fingerprint === f.fingerprint),
        );
        if (!match) continue;
        if (match.expired) {
          f.message = `${f.message} (suppression by ${match.s.approver} expired on ${match.s.expires})`;
          continue;
        }
        f.suppressed = {
          kind: 'external',
          justification: `${match.s.reason} (approved by ${match.s.approver}${match.s.expires ? `, until ${match.s.expires}` : ''})`,
        };
      }
    },
  };
}
