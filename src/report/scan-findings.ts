import { isActive, type ScanFinding } from '../domain/scan.ts';
import { xmlEscape } from './junit.ts';
import { mdCode, mdText } from './markdown.ts';

const MAX_LISTED = 20;

const where = (f: ScanFinding): string =>
  `${f.file}${f.startLine !== undefined ? `:${f.startLine}` : ''}`;
const attr = (s: string): string => xmlEscape(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');

/**
 * The scan's findings as one JUnit `<testsuite name="scan">`: a `<testcase>` per finding (class
 * the rule, name the place), failed while it counts, skipped with the reason when it is
 * suppressed or covered by an approval.
 */
export function junitScanSuite(findings: readonly ScanFinding[], id: number, pad = '  '): string[] {
  const failures = findings.filter(isActive).length;
  const skipped = findings.length - failures;
  const lines = [
    `${pad}<testsuite name="scan" id="${id}" tests="${findings.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0" hostname="greenlight">`,
  ];
  for (const f of findings) {
    const head = `${pad}  <testcase classname="${attr(`scan.${f.ruleId}`)}" name="${attr(where(f))}" time="0"`;
    if (!isActive(f)) {
      const why = f.suppressed
        ? `suppressed: ${f.suppressed.justification ?? f.suppressed.kind}`
        : `approved until ${f.approved?.expiresAt}`;
      lines.push(`${head}>`, `${pad}    <skipped message="${attr(why)}"/>`, `${pad}  </testcase>`);
      continue;
    }
    const body = [f.message, f.snippet ? `  ${f.snippet}` : '', f.help ?? '']
      .filter(Boolean)
      .join('\n');
    lines.push(
      `${head}>`,
      `${pad}    <failure message="${attr(`[${f.severity}] ${f.message}`)}" type="${attr(f.ruleId)}">${xmlEscape(body)}</failure>`,
      `${pad}  </testcase>`,
    );
  }
  lines.push(`${pad}</testsuite>`);
  return lines;
}

/** The scan's part of a Markdown summary: counts by severity, new first, then the list. */
export function markdownScanSection(findings: readonly ScanFinding[]): string[] {
  const active = findings.filter(isActive);
  const out = [
    '',
    `#### Scan findings (${active.length}${findings.length > active.length ? `, ${findings.length - active.length} suppressed or approved` : ''})`,
    '',
  ];
  if (active.length === 0) return [...out, '_No findings count against the gate._'];
  const ordered = [...active].sort(
    (a, b) => Number(b.status === 'new') - Number(a.status === 'new'),
  );
  for (const f of ordered.slice(0, MAX_LISTED)) {
    out.push(
      `- **${f.severity}** ${f.status === 'existing' ? '(existing) ' : ''}${mdCode(f.ruleId)} ${mdCode(where(f))} — ${mdText(f.message)}`,
    );
  }
  if (ordered.length > MAX_LISTED) out.push(`- …and ${ordered.length - MAX_LISTED} more`);
  return out;
}
