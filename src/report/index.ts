import { renderHtml, type HtmlOptions } from './html.ts';
import { renderJsonReport } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdownSummary } from './markdown.ts';
import type { ReportFormat, ReportInput } from './report-model.ts';
import { renderSarif } from './sarif.ts';

export { reportFormats, type ReportFormat, type ReportInput } from './report-model.ts';
export { renderHtml, renderJsonReport, renderJunit, renderMarkdownSummary, renderSarif };

/** A rendered report: its text and how to serve or name it. */
export interface RenderedReport {
  body: string;
  contentType: string;
  /** File extension without the dot, for downloads. */
  extension: string;
}

export const reportContentTypes: Record<ReportFormat, { contentType: string; extension: string }> =
  {
    junit: { contentType: 'application/xml; charset=utf-8', extension: 'xml' },
    html: { contentType: 'text/html; charset=utf-8', extension: 'html' },
    sarif: { contentType: 'application/sarif+json; charset=utf-8', extension: 'sarif' },
    json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
    markdown: { contentType: 'text/markdown; charset=utf-8', extension: 'md' },
  };

/** Render one report format; `html` options supply artifact bytes for inline screenshots. */
export function renderReport(
  format: ReportFormat,
  input: ReportInput,
  html: HtmlOptions = {},
): RenderedReport {
  const body =
    format === 'junit'
      ? renderJunit(input)
      : format === 'html'
        ? renderHtml(input, html)
        : format === 'sarif'
          ? `${JSON.stringify(renderSarif(input), null, 2)}\n`
          : format === 'json'
            ? `${JSON.stringify(renderJsonReport(input), null, 2)}\n`
            : renderMarkdownSummary(input);
  return { body, ...reportContentTypes[format] };
}
