import { htmlChunks, renderHtml, type HtmlOptions } from './html.ts';
import { batched } from './json-stream.ts';
import { jsonReportChunks } from './json.ts';
import { junitChunks, renderJunit } from './junit.ts';
import { renderMarkdownSummary } from './markdown.ts';
import type { ReportFormat, ReportInput } from './report-model.ts';
import { renderSarif, sarifChunks } from './sarif.ts';

export { reportFormats, type ReportFormat, type ReportInput } from './report-model.ts';
export { renderHtml, renderJunit, renderMarkdownSummary, renderSarif };

export const reportContentTypes: Record<ReportFormat, { contentType: string; extension: string }> =
  {
    junit: { contentType: 'application/xml; charset=utf-8', extension: 'xml' },
    html: { contentType: 'text/html; charset=utf-8', extension: 'html' },
    sarif: { contentType: 'application/sarif+json; charset=utf-8', extension: 'sarif' },
    json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
    markdown: { contentType: 'text/markdown; charset=utf-8', extension: 'md' },
  };

/** A report as chunks of text, for writing to a socket or a file without one big string. */
export interface StreamedReport {
  chunks: Iterable<string>;
  contentType: string;
  extension: string;
}

/**
 * One report format as chunks of about 64 KiB: each test is rendered when its turn comes, so
 * the document never sits in memory whole (its input, the run's results, does).
 */
export function streamReport(
  format: ReportFormat,
  input: ReportInput,
  html: HtmlOptions = {},
): StreamedReport {
  const chunks =
    format === 'junit'
      ? junitChunks(input)
      : format === 'html'
        ? htmlChunks(input, html)
        : format === 'sarif'
          ? sarifChunks(input)
          : format === 'json'
            ? jsonReportChunks(input)
            : [renderMarkdownSummary(input)];
  return { chunks: batched(chunks), ...reportContentTypes[format] };
}
