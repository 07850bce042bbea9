import { describe, expect, it } from 'vitest';
import { parseStep } from '../../src/domain/test-definition.ts';
import { exportPlaywrightSpec } from '../../src/export/playwright.ts';

/** The generated statements of a one-step test, without comments and blank lines. */
function code(step: unknown): string[] {
  const p = parseStep(step);
  if ('issues' in p) throw new Error(JSON.stringify(p.issues));
  const spec = exportPlaywrightSpec({ name: 't', steps: [p.step] }, {});
  const body = spec.slice(spec.indexOf('async ({ page }) => {') + 22, spec.lastIndexOf('});'));
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('//'));
}

describe('screenshot compare step', () => {
  it('parses compare: true and the object form, and refuses out-of-range options', () => {
    expect(parseStep({ screenshot: { name: 'home', compare: true } })).toEqual({
      step: { screenshot: { name: 'home', compare: true } },
    });
    const p = parseStep({
      screenshot: {
        name: 'home',
        compare: { threshold: 0.3, maxDiffRatio: 0.01, mask: ['#clock'] },
      },
    });
    expect(p).toEqual({
      step: {
        screenshot: {
          name: 'home',
          compare: { threshold: 0.3, maxDiffRatio: 0.01, mask: [{ css: '#clock' }] },
        },
      },
    });
    expect('issues' in parseStep({ screenshot: { name: 'x', compare: { threshold: 2 } } })).toBe(
      true,
    );
    expect(
      'issues' in parseStep({ screenshot: { name: 'x', compare: { maxDiffRatio: -1 } } }),
    ).toBe(true);
    expect('issues' in parseStep({ screenshot: { name: 'x', compare: false } })).toBe(true);
  });

  it('exports as toHaveScreenshot with our threshold, masks and ratio', () => {
    expect(code({ screenshot: { name: 'home page', compare: true } })).toEqual([
      "await expect(page).toHaveScreenshot('home_page.png', { threshold: 0.1 });",
    ]);
    expect(
      code({
        screenshot: {
          name: 'dash',
          fullPage: true,
          compare: { threshold: 0.2, maxDiffRatio: 0.05, mask: ['#clock', { testId: 'ad' }] },
        },
      }),
    ).toEqual([
      "await expect(page).toHaveScreenshot('dash.png', { fullPage: true, mask: [page.locator('#clock'), page.getByTestId('ad')], threshold: 0.2, maxDiffPixelRatio: 0.05 });",
    ]);
    expect(code({ screenshot: { name: 'card', locator: '.card', compare: true } })).toEqual([
      "await expect(page.locator('.card')).toHaveScreenshot('card.png', { threshold: 0.1 });",
    ]);
  });

  it('keeps a plain screenshot a plain screenshot', () => {
    expect(code({ screenshot: 'home' })).toEqual([
      "await page.screenshot({ path: test.info().outputPath('home.png') });",
    ]);
  });
});
