import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { compareImages, decodePng, pngSize } from '../../src/runner/visual-compare.ts';

type Rgb = [number, number, number];

/** A PNG of `bg` with an optional filled rectangle. */
function png(
  width: number,
  height: number,
  bg: Rgb,
  box?: { x: number; y: number; w: number; h: number; color: Rgb },
): Buffer {
  const img = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inBox = box && x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
      const [r, g, b] = inBox ? box.color : bg;
      const i = (y * width + x) * 4;
      img.data[i] = r;
      img.data[i + 1] = g;
      img.data[i + 2] = b;
      img.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(img);
}

const white: Rgb = [255, 255, 255];
const black: Rgb = [0, 0, 0];

describe('compareImages', () => {
  it('finds no difference between equal images', () => {
    const a = png(40, 30, white, { x: 5, y: 5, w: 10, h: 10, color: black });
    const b = png(40, 30, white, { x: 5, y: 5, w: 10, h: 10, color: black });
    const r = compareImages(a, b, 0.1);
    expect(r).toMatchObject({ kind: 'compared', width: 40, height: 30, diffPixels: 0 });
    if (r.kind === 'compared') expect(r.diffRatio).toBe(0);
  });

  it('counts the pixels of a moved block and draws them in the diff image', () => {
    const a = png(40, 30, white, { x: 0, y: 0, w: 10, h: 10, color: black });
    const b = png(40, 30, white, { x: 20, y: 10, w: 10, h: 10, color: black });
    const r = compareImages(a, b, 0.1);
    if (r.kind !== 'compared') throw new Error(`expected a comparison, got ${r.kind}`);
    // Both the old and the new place of the block differ; anti-aliasing detection may spare
    // a few edge pixels, never add any.
    expect(r.diffPixels).toBeGreaterThan(150);
    expect(r.diffPixels).toBeLessThanOrEqual(200);
    expect(r.diffRatio).toBeCloseTo(r.diffPixels / 1200, 10);
    const diff = decodePng(r.diffPng, 'diff');
    expect([diff.width, diff.height]).toEqual([40, 30]);
    // The diff marks changed pixels in red.
    const i = (15 * 40 + 25) * 4;
    expect([diff.data[i], diff.data[i + 1], diff.data[i + 2]]).toEqual([255, 0, 0]);
  });

  it('ignores a faint colour change under the threshold and counts it at threshold 0', () => {
    const a = png(20, 20, [200, 200, 200]);
    const b = png(20, 20, [203, 200, 200]);
    const loose = compareImages(a, b, 0.5);
    const strict = compareImages(a, b, 0);
    expect(loose).toMatchObject({ kind: 'compared', diffPixels: 0 });
    expect(strict).toMatchObject({ kind: 'compared', diffPixels: 400 });
  });

  it('reports a size mismatch instead of comparing', () => {
    const r = compareImages(png(40, 30, white), png(40, 35, white), 0.1);
    expect(r).toEqual({
      kind: 'size-mismatch',
      expected: { width: 40, height: 30 },
      actual: { width: 40, height: 35 },
    });
  });

  it('says which image is not a PNG', () => {
    expect(() => compareImages(Buffer.from('nope'), png(2, 2, white), 0.1)).toThrow(
      /the baseline image is not a readable PNG/,
    );
  });
});

describe('pngSize', () => {
  it('reads width and height from the header', () => {
    expect(pngSize(png(17, 9, white))).toEqual({ width: 17, height: 9 });
  });

  it('refuses bytes that are not a PNG', () => {
    expect(() => pngSize(Buffer.alloc(40))).toThrow(/not a PNG/);
  });
});
