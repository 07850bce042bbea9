import pkg from '../../package.json' with { type: 'json' };
import { countBySeverity, isActive, type GateResult, type ScanFinding } from '../domain/scan.ts';
import { htmlEscape as esc } from './html.ts';
import { junitScanSuite, markdownScanSection } from './scan-findings.ts';
import { findingResult, findingRules, originalUriBaseIds } from './sarif-findings.ts';
import { SARIF_SCHEMA, type SarifLog } from './sarif.ts';

/** A scan on its own (no run): what its reports show. */
export interface ScanReportInput {
  scanId: string;
  project: { slug: string; name: string };
  status: string;
  findings: ScanFinding[];
  gate: GateResult | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export const scanReportFormats = ['sarif', 'junit', 'html', 'markdown', 'json'] as const;
export type ScanReportFormat = (typeof scanReportFormats)[number];

/** SARIF 2.1.0 of a scan: one rule per rule id found, paths relative to `%SRCROOT%`. */
function renderScanSarif(input: ScanReportInput): SarifLog {
  const rules = findingRules(input.findings, []);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'Greenlight', version: pkg.version, semanticVersion: pkg.version, rules },
        },
        automationDetails: { id: `greenlight/${input.project.slug}/scan/${input.scanId}` },
        originalUriBaseIds,
        invocations: [
          {
            executionSuccessful: input.status !== 'error',
            ...(input.startedAt ? { startTimeUtc: input.startedAt } : {}),
            ...(input.finishedAt ? { endTimeUtc: input.finishedAt } : {}),
          },
        ],
        results: input.findings.map((f) => findingResult(f, index.get(f.ruleId) ?? -1)),
        properties: {
          scanId: input.scanId,
          project: input.project.slug,
          status: input.status,
          gatePassed: input.gate?.passed ?? null,
        },
      },
    ],
  };
}

function renderScanHtml(input: ScanReportInput): string {
  const counts = countBySeverity(input.findings.filter(isActive));
  const rows = input.findings
    .map(
      (f) =>
        `<tr class="${isActive(f) ? f.severity : 'waived'}"><td>${esc(f.severity)}</td><td>${esc(f.ruleId)}</td><td><code>${esc(f.file)}${f.startLine ? `:${f.startLine}` : ''}</code></td><td>${esc(f.message)}${f.snippet ? `<pre>${esc(f.snippet)}</pre>` : ''}${f.suppressed ? `<p>suppressed: ${esc(f.suppressed.justification ?? f.suppressed.kind)}</p>` : ''}</td><td>${esc(f.status ?? 'new')}</td></tr>`,
    )
    .join('\n');
  const gate = input.gate
    ? input.gate.passed
      ? 'passed'
      : esc(input.gate.reason ?? 'failed')
    : esc(input.status);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Greenlight scan ${esc(input.project.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top;text-align:left}tr.critical td:first-child,tr.high td:first-child{color:#b00020;font-weight:bold}tr.waived{opacity:.6}pre{margin:.3rem 0;white-space:pre-wrap}</style></head>
<body><h1>Scan of ${esc(input.project.name)}: ${esc(input.status)}</h1>
<p>Gate: ${gate}</p>
<p>${Object.entries(counts)
    .map(([s, n]) => `${s}: ${n}`)
    .join(' · ')}</p>
<table><thead><tr><th>Severity</th><th>Rule</th><th>Where</th><th>Finding</th><th>Status</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}

/** One report format of a scan, as text. */
export function renderScanReport(format: ScanReportFormat, input: ScanReportInput): string {
  switch (format) {
    case 'sarif':
      return `${JSON.stringify(renderScanSarif(input), null, 2)}\n`;
    case 'junit': {
      const active = input.findings.filter(isActive).length;
      return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="greenlight scan ${esc(input.project.slug)} ${esc(input.scanId)}" tests="${input.findings.length}" failures="${active}" errors="0" skipped="${input.findings.length - active}" time="0">`,
        ...junitScanSuite(input.findings, 0),
        '</testsuites>',
        '',
      ].join('\n');
    }
    case 'html':
      return renderScanHtml(input);
    case 'markdown':
      return [
        `### Greenlight scan: ${input.project.name} ${input.status}`,
        '',
        input.gate?.reason ? `> ${input.gate.reason}` : '',
        ...markdownScanSection(input.findings),
        '',
      ].join('\n');
    case 'json':
      return `${JSON.stringify({ scanId: input.scanId, status: input.status, gate: input.gate, findings: input.findings }, null, 2)}\n`;
  }
}
