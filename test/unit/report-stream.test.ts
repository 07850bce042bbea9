import { describe, expect, it } from 'vitest';
import { reportFormats, streamReport } from '../../src/report/index.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderJsonReport } from '../../src/report/json.ts';
import { jsonWithStreamedArray } from '../../src/report/json-stream.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { renderSarif } from '../../src/report/sarif.ts';
import type { ReportInput } from '../../src/report/report-model.ts';
import { sampleInput } from '../fixtures/report/sample-run.ts';

/** The sample run's results copied until the run has `n` tests (each copy a test of its own). */
function bigInput(n: number): ReportInput {
  const base = sampleInput();
  const results = Array.from({ length: n }, (_, i) => {
    const r = base.results[i % base.results.length]!;
    return { ...r, id: `${r.id}-${i}`, testId: `${r.testId}-${Math.floor(i / 6)}` };
  });
  return { ...base, results, run: { ...base.run, total: n } };
}

const whole = (format: string, input: ReportInput): string =>
  format === 'junit'
    ? renderJunit(input)
    : format === 'html'
      ? renderHtml(input)
      : format === 'sarif'
        ? `${JSON.stringify(renderSarif(input), null, 2)}\n`
        : `${JSON.stringify(renderJsonReport(input), null, 2)}\n`;

describe('streamed reports', () => {
  const input = bigInput(3000);

  it.each(reportFormats.filter((f) => f !== 'markdown'))(
    '%s: many chunks of bounded size, the same text as the whole document',
    (format) => {
      const chunks = [...streamReport(format, input).chunks];
      const text = chunks.join('');
      expect(text).toBe(whole(format, input));
      expect(chunks.length).toBeGreaterThan(3);
      // About 64 KiB each, plus one test's text at most.
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(96 * 1024);
    },
  );

  it('streams an array anywhere in a document, empty or not, as JSON.stringify prints it', () => {
    const doc = { a: 1, runs: [{ x: [1], results: ['kept out'] }], z: { y: null } };
    for (const items of [[], [{ deep: { er: [1, 2] } }, 'two', 3]]) {
      const text = [...jsonWithStreamedArray(doc, ['runs', 0, 'results'], items)].join('');
      const expected = { ...doc, runs: [{ x: [1], results: items }] };
      expect(text).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    }
  });
});
