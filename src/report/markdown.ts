import { markdownScanSection } from './scan-findings.ts';
import type { RunStatus } from '../domain/run.ts';
import {
  describeFailingStep,
  finalResults,
  formatDuration,
  oneLine,
  summarize,
  type ReportInput,
} from './report-model.ts';

/** How many failures a summary lists before it says "and N more". */
export const MAX_LISTED_FAILURES = 10;

const statusLine: Record<RunStatus, { emoji: string; text: string }> = {
  passed: { emoji: '✅', text: 'passed' },
  failed: { emoji: '❌', text: 'failed' },
  error: { emoji: '⚠️', text: 'could not complete' },
  cancelled: { emoji: '⏹️', text: 'was cancelled' },
  queued: { emoji: '⏳', text: 'is queued' },
  running: { emoji: '🔄', text: 'is running' },
};

/**
 * Make untrusted text inert inside a Markdown line or table cell: no HTML, no links, no table
 * breaks, no emphasis. PR comments render HTML, so `<` must never pass through raw.
 */
export function mdText(text: string): string {
  return (
    text
      .replace(/\r?\n/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/([\\`*_[\]|~])/g, '\\$1')
      // A leading marker would start a heading, list or ordered list.
      .replace(/^(\s*)([#+-])/, '$1\\$2')
      .replace(/^(\s*\d+)([.)])/, '$1\\$2')
      .replace(/@(?=\w)/g, '@\u200b')
  ); // no accidental @mentions in PR comments
}

/** Text inside an inline code span: backticks cannot be escaped there, so swap them. */
export const mdCode = (text: string): string =>
  `\`${text.replace(/\r?\n/g, ' ').replace(/`/g, "'")}\``;

/**
 * The run as Markdown for a PR comment or a CI job summary: a status line, counts, up to ten
 * failures with their failing step and a one-line reason, flaky and healed tests, links.
 */
export function renderMarkdownSummary(input: ReportInput): string {
  const { run, project, links } = input;
  const sum = summarize(input);
  const finals = finalResults(input.results);
  const s = statusLine[run.status];
  const out: string[] = [];

  const runRef = links?.runUrl
    ? `[run ${mdCode(run.id)}](${links.runUrl})`
    : `run ${mdCode(run.id)}`;
  out.push(
    `### ${s.emoji} Greenlight: ${mdText(project.name)} ${s.text}`,
    '',
    `${runRef} · ${sum.total} test${sum.total === 1 ? '' : 's'} · ${formatDuration(sum.durationMs)}` +
      (run.environment ? ` · env ${mdCode(run.environment)}` : '') +
      (run.baseUrl ? ` · ${mdCode(run.baseUrl)}` : ''),
  );
  if (run.error && run.status !== 'passed') out.push('', `> ${mdText(oneLine(run.error, 300))}`);

  out.push(
    '',
    '| Passed | Failed | Errors | Skipped | Flaky | Total |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${sum.passed} | ${sum.failed} | ${sum.errored} | ${sum.skipped} | ${sum.flaky} | ${sum.total} |`,
  );
  if (sum.quarantined > 0) {
    out.push('', `_${sum.quarantined} quarantined test(s) ran without gating the verdict._`);
  }
  if (sum.missing > 0) out.push('', `_${sum.missing} planned test(s) have no result._`);

  const failures = finals.filter(
    (f) => f.result.status === 'failed' || f.result.status === 'error',
  );
  if (failures.length > 0) {
    out.push('', `#### Failures (${failures.length})`, '');
    for (const { result } of failures.slice(0, MAX_LISTED_FAILURES)) {
      const step = describeFailingStep(result);
      const reason =
        oneLine(result.error) || (result.status === 'error' ? 'could not run' : 'failed');
      const kind =
        (result.status === 'error' ? ' (could not run)' : '') +
        (result.quarantined ? ' (quarantined, does not gate)' : '');
      out.push(
        `- **${mdText(result.testName)}**${kind}` +
          (step ? ` — ${mdText(step)}` : '') +
          `  \n  ${mdText(reason)}`,
      );
    }
    if (failures.length > MAX_LISTED_FAILURES)
      out.push(`- …and ${failures.length - MAX_LISTED_FAILURES} more`);
  }

  const flaky = finals.filter((f) => f.flaky);
  if (flaky.length > 0) {
    out.push('', `#### Flaky (${flaky.length})`, '');
    for (const f of flaky.slice(0, MAX_LISTED_FAILURES)) {
      const first = f.previous[0];
      const why = first ? ` — attempt ${first.attempt}: ${mdText(oneLine(first.error, 120))}` : '';
      out.push(`- ${mdText(f.result.testName)} passed on attempt ${f.result.attempt}${why}`);
    }
  }

  const healed = input.healed ?? [];
  if (healed.length > 0) {
    out.push('', `#### Healed (${healed.length})`, '');
    for (const h of healed.slice(0, MAX_LISTED_FAILURES))
      out.push(`- ${mdText(h.testName)} — ${mdText(oneLine(h.detail, 160))}`);
  }

  if (input.findings) out.push(...markdownScanSection(input.findings));

  if (links?.runUrl) out.push('', `[Open the run](${links.runUrl})`);
  out.push('');
  return out.join('\n');
}
