import { createRequire } from 'node:module';
import type Pixelmatch from 'pixelmatch';
import type * as PngJs from 'pngjs';
import type { PNG } from 'pngjs';

// The image libraries load with the first visual check; a server whose tests have none skips them.
const load = createRequire(import.meta.url);
const pngjs = (): typeof PngJs => load('pngjs') as typeof PngJs;
const pixelmatch: typeof Pixelmatch = (...args) =>
  (load('pixelmatch') as { default: typeof Pixelmatch }).default(...args);

/** What comparing an image with its baseline found. */
export type ImageComparison =
  | {
      kind: 'compared';
      width: number;
      height: number;
      diffPixels: number;
      /** diffPixels over all pixels (0 for an empty image). */
      diffRatio: number;
      /** Pixelmatch's picture of the differences (red on a faded copy of the baseline). */
      diffPng: Buffer;
    }
  | {
      kind: 'size-mismatch';
      expected: { width: number; height: number };
      actual: { width: number; height: number };
    };

/** Decode a PNG; a file that is not one says so instead of throwing pngjs' terse error. */
export function decodePng(bytes: Buffer, what: string): PNG {
  try {
    return pngjs().PNG.sync.read(bytes);
  } catch (e) {
    throw new Error(
      `${what} is not a readable PNG: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}

/**
 * Compare two PNGs pixel by pixel. `threshold` is pixelmatch's per-pixel colour tolerance (0..1);
 * anti-aliased pixels are not counted, as in Playwright's own comparison.
 */
export function compareImages(
  expected: Buffer,
  actual: Buffer,
  threshold: number,
): ImageComparison {
  const a = decodePng(expected, 'the baseline image');
  const b = decodePng(actual, 'the new screenshot');
  if (a.width !== b.width || a.height !== b.height) {
    return {
      kind: 'size-mismatch',
      expected: { width: a.width, height: a.height },
      actual: { width: b.width, height: b.height },
    };
  }
  const { width, height } = a;
  const { PNG } = pngjs();
  const diff = new PNG({ width, height });
  const diffPixels = pixelmatch(a.data, b.data, diff.data, width, height, { threshold });
  const total = width * height;
  return {
    kind: 'compared',
    width,
    height,
    diffPixels,
    diffRatio: total === 0 ? 0 : diffPixels / total,
    diffPng: PNG.sync.write(diff),
  };
}

/** The size of a PNG without decoding its pixels. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  // The IHDR chunk always comes first: width and height are big-endian at bytes 16 and 20.
  const signature = '89504e470d0a1a0a';
  if (bytes.length < 24 || bytes.subarray(0, 8).toString('hex') !== signature) {
    throw new Error('not a PNG image');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
