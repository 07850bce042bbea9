import { describe, expect, it } from 'vitest';
import { htmlEscape, renderHtml } from '../../src/report/html.ts';
import { sampleInput } from '../fixtures/report/sample-run.ts';

const png = Buffer.from('89504e470d0a1a0a', 'hex');

describe('HTML report', () => {
  it('escapes every piece of test text: no markup from a test name or error survives', () => {
    const html = renderHtml(sampleInput());
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<script>/g)).toHaveLength(1); // only the report's own filter script
    expect(htmlEscape(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;');
  });

  it('has the summary, the filter buttons and one section per test, failures open', () => {
    const html = renderHtml(sampleInput());
    expect(html).toContain('<span class="st-failed" id="run-status">Failed</span>');
    expect(html).toContain('data-filter="all" aria-pressed="true">All (5)');
    expect(html).toContain('data-filter="failed" aria-pressed="false">Failed (2)');
    expect(html).toContain('data-filter="skipped"');
    expect(html.match(/<details class="test /g)).toHaveLength(5);
    expect(html).toMatch(/<details class="test status-failed" data-status="failed" [^>]* open>/);
    expect(html).toContain('<span class="badge b-flaky">flaky</span>');
    expect(html).toContain('href="http://greenlight.local/artifacts/runs/run-1/t-fail/trace.zip"');
  });

  it('embeds screenshots as data: URIs within the size caps, links the rest', () => {
    const input = sampleInput();
    const inline = renderHtml(input, { readArtifact: () => png });
    expect(inline).toContain(`src="data:image/png;base64,${png.toString('base64')}"`);
    const capped = renderHtml(input, { readArtifact: () => png, maxImageBytes: 4 });
    expect(capped).not.toContain('data:image/png');
    expect(capped).toContain('(not embedded)');
  });

  it('never turns a javascript: artifact URL into a link', () => {
    const input = sampleInput({ links: { artifactUrl: () => 'javascript:alert(1)' } });
    expect(renderHtml(input)).not.toContain('href="javascript:');
  });
});
