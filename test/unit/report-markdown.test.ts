import { describe, expect, it } from 'vitest';
import type { TestResult } from '../../src/domain/run.ts';
import { MAX_LISTED_FAILURES, mdText, renderMarkdownSummary } from '../../src/report/markdown.ts';
import { sampleInput } from '../fixtures/report/sample-run.ts';

describe('Markdown summary', () => {
  it('has a status line, a counts table, failures with step and reason, flaky, links', () => {
    const md = renderMarkdownSummary(sampleInput());
    expect(md).toMatch(/^### ❌ Greenlight: Demo &amp; &lt;Co&gt; failed$/m);
    expect(md).toContain('[run `run-1`](http://greenlight.local/runs/run-1)');
    expect(md).toContain('| 1 | 1 | 1 | 1 | 1 | 5 |');
    expect(md).toContain('#### Failures (2)');
    expect(md).toContain('step 3: expect text "Step 2"');
    expect(md).toContain('expect text failed: expected "Showing 5" but got "Showing 4"');
    expect(md).toContain('**Contact form** (could not run)');
    expect(md).toMatch(/#### Flaky \(1\)\n\n- Sign in passed on attempt 2 — attempt 1: timeout/);
    expect(md).toContain('[Open the run](http://greenlight.local/runs/run-1)');
    expect(md).not.toContain('#### Healed');
  });

  it('never lets test text inject HTML, links or mentions', () => {
    const md = renderMarkdownSummary(sampleInput());
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<b>');
    expect(mdText('[x](http://evil) @team | a')).toBe('\\[x\\](http://evil) @\u200bteam \\| a');
  });

  it('lists at most ten failures, then how many more', () => {
    const input = sampleInput();
    const fail = input.results[1]!;
    input.results = Array.from({ length: 14 }, (_, i): TestResult => ({
      ...fail,
      id: `r${i}`,
      testId: `t${i}`,
      testName: `Failing ${i}`,
    }));
    const md = renderMarkdownSummary(input);
    expect(md.match(/^- \*\*Failing/gm)).toHaveLength(MAX_LISTED_FAILURES);
    expect(md).toContain('- …and 4 more');
  });

  it('shows healed tests and a passing run without failures', () => {
    const input = sampleInput();
    input.results = input.results.filter((r) => r.testId === 't-pass');
    input.run = { ...input.run, status: 'passed', error: null, total: 1 };
    input.healed = [
      {
        testId: 't-pass',
        testName: 'Product list filters',
        detail: 'step 2: css=#q → label=Search',
      },
    ];
    const md = renderMarkdownSummary(input);
    expect(md).toMatch(/^### ✅ Greenlight: .* passed$/m);
    expect(md).not.toContain('#### Failures');
    expect(md).toContain('#### Healed (1)');
    expect(md).toContain('css=#q → label=Search');
    expect(mdText('# 1. x')).toBe('\\# 1. x');
    expect(mdText('1. x')).toBe('1\\. x');
  });
});
